"""Seed the metadata tables from the committed data files in auctions/data/.

countries.json and currencies.json are generated from ISO 3166-1 / ISO 4217 by
scripts/generate_metadata.py; the others are the product's own lists.
"""

import json
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data"


def _load(name: str) -> list[dict]:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def seed(apps, schema_editor):
    tables = [
        ("Country", "countries.json", "code"),
        ("Currency", "currencies.json", "code"),
        ("ItemCondition", "item_conditions.json", "code"),
        ("Category", "categories.json", "slug"),
        ("AuctionStatus", "auction_statuses.json", "code"),
    ]
    for model_name, filename, key in tables:
        model = apps.get_model("auctions", model_name)
        fields = {f.name for f in model._meta.get_fields()}
        for position, row in enumerate(_load(filename)):
            if "position" in fields:
                row = {**row, "position": position}
            model.objects.update_or_create(**{key: row[key]}, defaults=row)


class Migration(migrations.Migration):
    dependencies = [("auctions", "0002_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

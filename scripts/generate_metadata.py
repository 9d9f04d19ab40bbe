"""Regenerate auctions/data/{countries,currencies}.json from pycountry (ISO 3166-1, ISO 4217).

The maintainer's step, not run at install time: `pip install pycountry` into any
environment, then `python scripts/generate_metadata.py`, and commit the JSON files.
Minor units are not in pycountry; they come from ISO 4217's table, kept in
auctions/data/currency_minor_units.json.
"""

import json
from pathlib import Path

import pycountry

DATA = Path(__file__).resolve().parent.parent / "auctions" / "data"


def main() -> None:
    countries = sorted(
        ({"code": c.alpha_2, "name": getattr(c, "common_name", c.name)} for c in pycountry.countries),
        key=lambda c: c["code"],
    )
    minor_units = json.loads((DATA / "currency_minor_units.json").read_text())
    currencies = [
        {"code": code, "name": pycountry.currencies.get(alpha_3=code).name, "minor_units": units}
        for code, units in sorted(minor_units.items())
    ]
    (DATA / "countries.json").write_text(json.dumps(countries, indent=1, ensure_ascii=False) + "\n")
    (DATA / "currencies.json").write_text(json.dumps(currencies, indent=1, ensure_ascii=False) + "\n")
    print(f"{len(countries)} countries, {len(currencies)} currencies")


if __name__ == "__main__":
    main()

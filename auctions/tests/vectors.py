"""The worked examples of SPEC.md's bidding rules: a copy of ../shared/bidding-vectors.json
kept in the repository so that a clean clone runs them."""

import json
from pathlib import Path
from typing import Any

VECTORS_PATH = Path(__file__).resolve().parent / "data" / "bidding-vectors.json"
CASES: list[dict[str, Any]] = json.loads(VECTORS_PATH.read_text())["cases"]

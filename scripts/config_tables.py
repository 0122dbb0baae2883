#!/usr/bin/env python
"""Regenerate config/README.md's model/sampling/evaluate/verdict tables from the JSON schema.

    .venv/bin/python scripts/config_tables.py          # rewrite the tables in place
    .venv/bin/python scripts/config_tables.py --check  # exit 1 if README and schema disagree

The tables sit under the "### ... (`section`)" headings of the section "Model, sampling,
evaluation and verdict keys"; each is replaced by rows `key | default | description` built from
workflow/schemas/config.schema.yaml (defaults as JSON). tests/test_config.py runs --check.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "config" / "README.md"
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"
SECTIONS = ["model.vae", "model.diffusion", "sampling", "evaluate", "verdict"]


def table(schema: dict, dotted: str) -> str:
    node = schema
    for part in dotted.split("."):
        node = node["properties"][part]
    rows = ["| key | default | meaning |", "|---|---|---|"]
    for key, spec in node["properties"].items():
        default = json.dumps(spec.get("default"))
        desc = " ".join(str(spec.get("description", "")).split()).replace("|", "/")
        rows.append(f"| `{dotted}.{key}` | `{default}` | {desc} |")
    return "\n".join(rows)


def render(text: str, schema: dict) -> str:
    for dotted in SECTIONS:
        pat = re.compile(r"(### [^\n]*\(`" + re.escape(dotted) + r"`\)\n\n)(\|.*?\n)(?=\n|\Z)", re.S)
        if not pat.search(text):
            raise SystemExit(f"{README}: no table under a heading ending in (`{dotted}`)")
        rows = table(schema, dotted)
        text = pat.sub(lambda m, rows=rows: m.group(1) + rows + "\n", text, count=1)
    return text


def main(argv: list[str]) -> int:
    schema = yaml.safe_load(SCHEMA.read_text())
    old = README.read_text()
    new = render(old, schema)
    if "--check" in argv:
        if new != old:
            print(f"{README} tables differ from {SCHEMA}: run scripts/config_tables.py", file=sys.stderr)
            return 1
        return 0
    README.write_text(new)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

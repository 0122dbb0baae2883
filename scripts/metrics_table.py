#!/usr/bin/env python
"""Regenerate docs/metrics.md's metric-registry tables from snpgen.evaluate.registry.

    .venv/bin/python scripts/metrics_table.py          # rewrite the tables in place
    .venv/bin/python scripts/metrics_table.py --check  # exit 1 if the docs and the registry disagree

The tables sit between the markers ``<!-- registry-table:start -->`` and
``<!-- registry-table:end -->`` of the section "Metric registry": one row per declared metric
(``registry.METRICS``), then the numbers listed as internal (``registry.INTERNAL``).
tests/test_registry.py runs --check.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow"))
DOC = ROOT / "docs" / "metrics.md"
START, END = "<!-- registry-table:start -->", "<!-- registry-table:end -->"


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _check(m) -> str:
    if not m.check:
        return ""
    keys = ", ".join(f"`{k}`" for k in m.thresholds)
    extra = f" (+ {', '.join(f'`{k}`' for k in m.options)})" if m.options else ""
    return f"`{m.check.replace('{}', '<x>')}` {_cell(m.comparison)} {keys}{extra}"


def tables() -> str:
    """The two markdown tables (declared metrics; internal numbers)."""
    from snpgen.evaluate import registry

    rows = ["| key | section | label | unit | better | verdict check | meaning |", "|---|---|---|---|---|---|---|"]
    for m in registry.METRICS:
        rows.append(f"| `{m.path}` | {m.section} | {_cell(m.label)} | {_cell(m.unit)} | {m.direction} | "
                    f"{_check(m)} | {_cell(m.doc)} |".replace("{}", "…"))
    rows += ["", "Numbers written but not metrics of their own (`registry.INTERNAL`; a key covers what lies "
             "under it):", "", "| key | why |", "|---|---|"]
    rows += [f"| `{k}` | {_cell(why)} |" for k, why in registry.INTERNAL.items()]
    return "\n".join(rows)


def render(text: str) -> str:
    if START not in text or END not in text:
        raise SystemExit(f"{DOC}: markers {START} / {END} not found")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{tables()}\n{END}{tail}"


def main(argv: list[str]) -> int:
    old = DOC.read_text()
    new = render(old)
    if "--check" in argv:
        if new != old:
            print(f"{DOC}: the registry tables differ from snpgen.evaluate.registry: run scripts/metrics_table.py",
                  file=sys.stderr)
            return 1
        return 0
    DOC.write_text(new)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

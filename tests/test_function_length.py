"""No function in workflow/snpgen is longer than MAX_LINES (issue 19: short functions).

The allowlist holds today's offenders with their current length; it may only shrink: a listed
function may not grow, a new offender fails, and an entry that is no longer needed (the function
was shortened, renamed or removed) fails too, so that it is deleted from the list.
Length = lines from the ``def`` line to the function's last line (decorators not counted);
nested functions and methods are measured on their own, named ``file:Outer.inner``.
"""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "workflow" / "snpgen"
MAX_LINES = 100

# name -> length when it was listed; shorten these, then delete the entry
ALLOWED: dict[str, int] = {}


def function_lengths() -> dict[str, int]:
    lengths: dict[str, int] = {}

    def walk(node: ast.AST, path: str, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = prefix + child.name
                lengths[f"{path}:{name}"] = child.end_lineno - child.lineno + 1
                walk(child, path, name + ".")
            elif isinstance(child, ast.ClassDef):
                walk(child, path, prefix + child.name + ".")
            else:
                walk(child, path, prefix)

    for file in sorted(PACKAGE.rglob("*.py")):
        walk(ast.parse(file.read_text(), filename=str(file)), file.relative_to(PACKAGE).as_posix(), "")
    return lengths


def test_the_measure_sees_the_package():
    lengths = function_lengths()
    assert len(lengths) > 100 and "config.py:check_config" in lengths


def test_no_function_over_the_limit_unless_allowlisted():
    lengths = function_lengths()
    new = {n: k for n, k in lengths.items() if k > MAX_LINES and n not in ALLOWED}
    assert not new, f"functions over {MAX_LINES} lines (split them): {new}"
    grown = {n: (ALLOWED[n], lengths[n]) for n in ALLOWED if n in lengths and lengths[n] > ALLOWED[n]}
    assert not grown, f"allowlisted functions grew (listed, now): {grown}"


def test_allowlist_only_shrinks():
    lengths = function_lengths()
    stale = sorted(n for n in ALLOWED if lengths.get(n, 0) <= MAX_LINES)
    assert not stale, f"no longer over {MAX_LINES} lines (or gone): delete from ALLOWED in {__file__}: {stale}"
    assert all(k > MAX_LINES for k in ALLOWED.values())

"""Shareable reports: one self-contained HTML page per disease, an index, and the leak scan.

- :mod:`snpgen.report.render`     gathers the aggregate outputs of a run and renders the pages
  (jinja2 templates in ``templates/``; figures embedded as base64 PNG data URIs).
- :mod:`snpgen.report.gwas_plots` Manhattan and QQ plots of the training GWAS (matplotlib).
- :mod:`snpgen.report.leakscan`   scans shareable outputs for real sample IDs.

Data-access rule applied everywhere in this package: any count that describes REAL
individuals is passed through :func:`suppress_small` before it is shown (tables, figure
annotations, index page); below the threshold -- ``evaluate.min_cell_count``, zero included --
it reads "<N" (N = the threshold, "<10" by default).
Counts of synthetic individuals or of SNPs are not suppressed (and are labelled as such).

The threshold: every helper here takes ``min_count``; left out (None) it is the one in force,
set for a whole rendering with ``with cell_threshold(config["evaluate"]["min_cell_count"]):``
(:func:`snpgen.report.render.render_disease_report` / ``render_index`` do so) and read with
:func:`min_cell_count`. Outside such a block it is ``MIN_COUNT``, the schema default.
"""
from __future__ import annotations

import contextlib
import contextvars
import math
from typing import Iterator

from ..defaults import schema_defaults

MIN_COUNT: int = schema_defaults("evaluate")["min_cell_count"]  # the schema's default of evaluate.min_cell_count

_THRESHOLD: contextvars.ContextVar[int] = contextvars.ContextVar("min_cell_count", default=MIN_COUNT)


def min_cell_count() -> int:
    """The small-cell threshold in force (see :func:`cell_threshold`)."""
    return _THRESHOLD.get()


@contextlib.contextmanager
def cell_threshold(min_count: int | None) -> Iterator[int]:
    """Within the block, counts of real people below ``min_count`` are suppressed ("<min_count");
    None keeps the threshold in force."""
    if min_count is None:
        yield min_cell_count()
        return
    if isinstance(min_count, bool) or int(min_count) != min_count or min_count < 0:
        raise ValueError(f"min_cell_count must be a non-negative integer, not {min_count!r}")
    token = _THRESHOLD.set(int(min_count))
    try:
        yield int(min_count)
    finally:
        _THRESHOLD.reset(token)


def suppress_small(n, min_count: int | None = None, *, missing: str = "n/a") -> str:
    """Format a count of real individuals for a shareable output.

    ``n < min_count`` (zero included) -> ``"<min_count"`` (``"<10"`` by default); otherwise the
    count with thousands separators (``"1,234"``). ``None``/NaN -> ``missing``: pass
    ``missing=f"<{min_cell_count()}"`` where the producer already suppressed the count by writing
    ``null`` (docs/metrics.md), so a suppressed value and a small value read the same.
    ``min_count=None``: the threshold in force (:func:`min_cell_count`).
    """
    if min_count is None:
        min_count = min_cell_count()
    if n is None or isinstance(n, bool):
        if isinstance(n, bool):
            raise TypeError("suppress_small expects a count, not a bool")
        return missing
    try:
        v = float(n)
    except (TypeError, ValueError):
        raise TypeError(f"suppress_small expects a count, got {n!r}") from None
    if not math.isfinite(v):
        return missing
    if v < 0:
        raise ValueError(f"a count cannot be negative: {n!r}")
    if v < min_count:
        return f"<{min_count}"
    return f"{int(round(v)):,}"


def is_suppressed(n, min_count: int | None = None) -> bool:
    """True when ``n`` would be shown suppressed (or is unknown): derived figures such as a
    fraction built from it must then be withheld too."""
    if min_count is None:
        min_count = min_cell_count()
    if n is None or isinstance(n, bool):
        return True
    try:
        v = float(n)
    except (TypeError, ValueError):
        return True
    return not math.isfinite(v) or v < min_count


SECONDARY = "suppressed"


def round_count(n, min_count: int | None = None) -> str:
    """A count of ``min_count`` or more shown rounded to the nearest multiple of ``min_count``
    (``"≈3,090"`` with the default 10): it stays visible, yet subtracting it from a known total
    gives a hidden small count only to within ``min_count`` values, no more than "<min_count"
    already says. ``min_count=None``: the threshold in force (:func:`min_cell_count`)."""
    if min_count is None:
        min_count = min_cell_count()
    v = float(n)
    r = max(int(math.floor(v / min_count + 0.5)) * min_count, min_count)
    return f"≈{r:,}"


def suppress_parts(parts, min_count: int | None = None, *, round_secondary: bool = False) -> list[str]:
    """Display strings for counts of real people that add up to a total shown elsewhere
    (cases + controls = people; people removed per QC step = before - after).

    Primary suppression hides each count below ``min_count`` (via :func:`suppress_small`).
    Because the total is known, the sum of the hidden cells could be recovered by subtraction;
    while that sum is below ``min_count`` the smallest remaining count is hidden as well
    (secondary suppression, shown as ``"suppressed"``).

    ``round_secondary=True`` (the QC table: a removal of thousands must never read "suppressed")
    shows that complementary count rounded instead (:func:`round_count`); a count of ``min_count``
    or more then always stays visible.
    """
    if min_count is None:
        min_count = min_cell_count()
    vals = [None if is_suppressed(p, 0) else float(p) for p in parts]
    hidden = [v is not None and v < min_count for v in vals]
    out = [suppress_small(v, min_count) if v is not None else "n/a" for v in vals]
    if any(hidden):
        while sum(v for v, h in zip(vals, hidden) if h and v is not None) < min_count:
            rest = [(v, i) for i, (v, h) in enumerate(zip(vals, hidden)) if not h and v is not None]
            if not rest:
                break
            _, i = min(rest)
            hidden[i] = True
            out[i] = round_count(vals[i], min_count) if round_secondary else SECONDARY
    return out


__all__ = ["MIN_COUNT", "SECONDARY", "cell_threshold", "min_cell_count", "suppress_small", "suppress_parts",
           "is_suppressed", "round_count"]

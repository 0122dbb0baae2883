"""Shareable reports: one self-contained HTML page per disease, an index, and the leak scan.

- :mod:`snpgen.report.render`     gathers the aggregate outputs of a run and renders the pages
  (jinja2 templates in ``templates/``; figures embedded as base64 PNG data URIs).
- :mod:`snpgen.report.gwas_plots` Manhattan and QQ plots of the training GWAS (matplotlib).
- :mod:`snpgen.report.leakscan`   scans shareable outputs for real sample IDs.

Data-access rule applied everywhere in this package: any count that describes REAL
individuals is passed through :func:`suppress_small` before it is shown (tables, figure
annotations, index page); below ``MIN_COUNT`` -- zero included -- it reads "<10".
Counts of synthetic individuals or of SNPs are not suppressed (and are labelled as such).
"""
from __future__ import annotations

import math

MIN_COUNT = 10


def suppress_small(n, min_count: int = MIN_COUNT, *, missing: str = "n/a") -> str:
    """Format a count of real individuals for a shareable output.

    ``n < min_count`` (zero included) -> ``"<10"``; otherwise the count with thousands
    separators (``"1,234"``). ``None``/NaN -> ``missing``: pass ``missing="<10"`` where the
    producer already suppressed the count by writing ``null`` (docs/metrics.md), so a
    suppressed value and a small value read the same.
    """
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


def is_suppressed(n, min_count: int = MIN_COUNT) -> bool:
    """True when ``n`` would be shown suppressed (or is unknown): derived figures such as a
    fraction built from it must then be withheld too."""
    if n is None or isinstance(n, bool):
        return True
    try:
        v = float(n)
    except (TypeError, ValueError):
        return True
    return not math.isfinite(v) or v < min_count


SECONDARY = "suppressed"


def suppress_parts(parts, min_count: int = MIN_COUNT) -> list[str]:
    """Display strings for counts of real people that add up to a total shown elsewhere
    (cases + controls = people; people removed per QC step = before - after).

    Primary suppression hides each count below ``min_count`` (via :func:`suppress_small`).
    Because the total is known, the sum of the hidden cells could be recovered by subtraction;
    while that sum is below ``min_count`` the smallest remaining count is hidden as well
    (secondary suppression, shown as ``"suppressed"``).
    """
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
            out[i] = SECONDARY
    return out


__all__ = ["MIN_COUNT", "SECONDARY", "suppress_small", "suppress_parts", "is_suppressed"]

"""Lookup in nested metrics dictionaries (the JSON files the workflow writes)."""
from __future__ import annotations


def get_in(d, *keys):
    """``d[k1][k2]...``, or None as soon as a level is missing or not a dict."""
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d

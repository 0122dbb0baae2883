"""Scan shareable outputs for real sample IDs (the cohort's FIDs and IIDs).

A shareable output (report pages, metrics JSON, *_summary.json, rule logs) must hold aggregate
numbers only. This module checks the weakest form of that promise mechanically: no real FID or
IID appears in any of them as a whole token.

Tokenisation: a token is a maximal run of ``[A-Za-z0-9_.-]``; it matches when it equals an ID
after trimming leading/trailing ``.``/``-``, or -- for tokens containing a letter -- when one of
its parts split at ``.``, ``_`` or ``-`` equals an ID (``DEMO000001.bed``,
``DEMO000001_DEMO000001``). So ``DEMO000001`` does not match inside ``DEMO0000011`` and numbers
such as ``0.1001`` are not split. Base64 data URIs in HTML are not scanned as text (random base64
would produce chance matches): they are decoded and the text chunks of the PNG (tEXt/zTXt/iTXt)
are scanned instead; text drawn into pixels cannot be scanned and is the figures' job.

Limitation: cohorts whose IDs are short numbers (``1``, ``17``) will match ordinary numbers in
the outputs; the scan then fails on the safe side and the hits must be reviewed by hand.
Results never print the matched IDs themselves outside the Python return value.
"""
from __future__ import annotations

import base64
import binascii
import re
import struct
import zlib
from pathlib import Path
from typing import Iterable

TOKEN_RE = re.compile(r"[A-Za-z0-9_.\-]+")
DATA_URI_RE = re.compile(r"data:image/[a-z+]+;base64,([A-Za-z0-9+/=\s]+)")
_HAS_LETTER = re.compile(r"[A-Za-z]")
_SPLIT = re.compile(r"[._\-]+")
# FID/IID values that are placeholders, not identifiers
PLACEHOLDER_IDS = frozenset({"0", "-9", "NA", "na", "."})


def read_real_ids(fam_paths: Iterable[str | Path]) -> set[str]:
    """All FIDs and IIDs of one or more .fam files (plus ``FID_IID``, the joined form plink2
    writes to VCF, where FID != IID)."""
    ids: set[str] = set()
    for fam in fam_paths:
        with open(fam) as fh:
            for line in fh:
                parts = line.split()
                if len(parts) < 2:
                    continue
                fid, iid = parts[0], parts[1]
                ids.update({fid, iid})
                if fid != iid and fid not in PLACEHOLDER_IDS:
                    ids.add(f"{fid}_{iid}")
    return ids - PLACEHOLDER_IDS


def png_text(data: bytes) -> str:
    """The text of a PNG's tEXt/zTXt/iTXt chunks (keywords and values), '' if not a PNG."""
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return ""
    out, i = [], 8
    while i + 8 <= len(data):
        (length,) = struct.unpack(">I", data[i:i + 4])
        ctype = data[i + 4:i + 8]
        body = data[i + 8:i + 8 + length]
        i += 12 + length
        try:
            if ctype == b"tEXt":
                out.append(body.replace(b"\0", b" ").decode("latin-1"))
            elif ctype == b"zTXt":
                k, _, rest = body.partition(b"\0")
                out.append(k.decode("latin-1") + " " + zlib.decompress(rest[1:]).decode("latin-1"))
            elif ctype == b"iTXt":
                k, _, rest = body.partition(b"\0")
                compressed = rest[:1] == b"\x01"
                _lang, _, rest = rest[2:].partition(b"\0")
                _tkey, _, text = rest.partition(b"\0")
                text = zlib.decompress(text) if compressed else text
                out.append(k.decode("latin-1") + " " + text.decode("utf-8", "replace"))
        except (zlib.error, UnicodeDecodeError):  # a damaged chunk: scan its raw bytes
            out.append(body.decode("latin-1"))
        if ctype == b"IEND":
            break
    return "\n".join(out)


def _data_uri_to_text(m: re.Match) -> str:
    try:
        raw = base64.b64decode(re.sub(r"\s+", "", m.group(1)), validate=False)
    except (binascii.Error, ValueError):
        return m.group(0)  # not valid base64: scan it as it is
    return " " + png_text(raw) + " "


def scannable_text(path: str | Path) -> str:
    """The text of one file as the scanner sees it (data URIs replaced by their PNG text)."""
    text = Path(path).read_text(errors="replace")
    if "base64," in text:
        text = DATA_URI_RE.sub(_data_uri_to_text, text)
    return text


def tokens(text: str) -> set[str]:
    out: set[str] = set()
    for m in TOKEN_RE.finditer(text):
        tok = m.group(0)
        out.add(tok)
        out.add(tok.strip(".-"))
        if _HAS_LETTER.search(tok):
            out.update(p for p in _SPLIT.split(tok) if p)
    return out


def scan_for_ids(paths: Iterable[str | Path], ids: Iterable[str]) -> list[tuple[str, str]]:
    """``[(path, id), ...]`` for every real ID found as a whole token in any of ``paths``
    (sorted; empty = clean). Missing files are an error: a scan must not pass by not looking."""
    idset = set(ids) - PLACEHOLDER_IDS
    hits: list[tuple[str, str]] = []
    for p in paths:
        p = Path(p)
        if not p.is_file():
            raise FileNotFoundError(f"leak scan: {p} does not exist or is not a file")
        for found in sorted(tokens(scannable_text(p)) & idset):
            hits.append((str(p), found))
    return sorted(hits)


SHAREABLE_PATTERNS = (
    "reports/*.html",
    "reports/*.json",
    "*/metrics/*.json",
    "**/*_summary.json",
    "inputs/*.json",
    "logs/**/*.log",
)


def shareable_outputs(results: str | Path, exclude: Iterable[str | Path] = ()) -> list[Path]:
    """Every shareable output under a results directory (patterns in SHAREABLE_PATTERNS)."""
    results = Path(results)
    skip = {Path(e).resolve() for e in exclude}
    found: set[Path] = set()
    for pat in SHAREABLE_PATTERNS:
        found.update(p for p in results.glob(pat) if p.is_file())
    return sorted(p for p in found if p.resolve() not in skip)


def scan_results(results: str | Path, fam_paths: Iterable[str | Path], extra: Iterable[str | Path] = (),
                 exclude: Iterable[str | Path] = ()) -> tuple[dict, list[tuple[str, str]]]:
    """Scan the shareable outputs of a results directory. Returns ``(summary, hits)``; the
    summary is safe to share (file names and hit counts, never the IDs found)."""
    from . import suppress_small

    results = Path(results)
    ids = read_real_ids(fam_paths)
    files = sorted(set(shareable_outputs(results, exclude)) | {Path(e) for e in extra})
    hits = scan_for_ids(files, ids)

    def rel(p) -> str:
        try:
            return str(Path(p).resolve().relative_to(results.resolve()))
        except ValueError:
            return str(p)

    per_file: dict[str, int] = {}
    for path, _ in hits:
        per_file[rel(path)] = per_file.get(rel(path), 0) + 1
    summary = {
        "status": "clean" if not hits else "real IDs found",
        "n_files_scanned": len(files),
        "files_scanned": [rel(f) for f in files],
        "real_ids_checked": suppress_small(len(ids)),
        "files_with_ids": [{"file": f, "n_distinct_ids": n} for f, n in sorted(per_file.items())],
        "method": "whole-token match of every cohort FID/IID (.fam); PNG data URIs scanned via their text chunks",
    }
    return summary, hits


def run_scan_rule(*, results: str | Path, fam: str | Path, out_json: str | Path, log_path: str | Path | None = None,
                  extra: Iterable[str | Path] = ()) -> dict:
    """The workflow's final step: scan, write ``out_json`` (aggregate; no IDs), raise when IDs are found.

    The log and the raised message name the files and how many distinct IDs each holds, never
    the IDs themselves (the log is shareable too)."""
    import json
    import logging

    from ..io import atomic_write_text

    logger = logging.getLogger("snpgen.leakscan")
    logger.setLevel(logging.INFO)
    logger.handlers.clear()
    logger.propagate = False
    if log_path:
        Path(log_path).parent.mkdir(parents=True, exist_ok=True)
        fh = logging.FileHandler(log_path, mode="w")
        fh.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%d %H:%M:%S"))
        logger.addHandler(fh)
    try:
        exclude = [out_json] + ([log_path] if log_path else [])
        summary, hits = scan_results(results, [fam], extra=extra, exclude=exclude)
        logger.info("scanned %d shareable files for %s real IDs", summary["n_files_scanned"],
                    summary["real_ids_checked"])
        atomic_write_text(out_json, json.dumps(summary, indent=2, sort_keys=True) + "\n")
        if hits:
            where = "; ".join(f"{x['file']} ({x['n_distinct_ids']} distinct IDs)" for x in summary["files_with_ids"])
            logger.error("real sample IDs found in shareable outputs: %s", where)
            raise RuntimeError(f"leak scan failed: real sample IDs found in shareable outputs: {where}. "
                               "Remove them before sharing (the IDs are not repeated here).")
        logger.info("clean: no real FID/IID in any shareable output")
        return summary
    finally:
        for h in list(logger.handlers):
            h.close()
            logger.removeHandler(h)

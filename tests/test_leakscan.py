"""Leak scan of shareable outputs: whole-token matching of the cohort's real FIDs/IIDs."""
from __future__ import annotations

import base64
import json
import struct
import zlib
from pathlib import Path

import pytest

from snpgen.report.leakscan import (png_text, read_real_ids, run_scan_rule, scan_for_ids, shareable_outputs,
                                    tokens)


def _fam(path: Path, ids: list[tuple[str, str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{f} {i} 0 0 1 -9\n" for f, i in ids))
    return path


def _png_with_text(key: str, value: str) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00\x00")
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"tEXt", key.encode() + b"\0" + value.encode())
            + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


def test_read_real_ids(tmp_path):
    fam = _fam(tmp_path / "c.fam", [("DEMO000001", "DEMO000001"), ("FAM7", "IND7"), ("0", "X9")])
    ids = read_real_ids([fam])
    assert {"DEMO000001", "FAM7", "IND7", "FAM7_IND7", "X9"} <= ids
    assert "0" not in ids and "DEMO000001_DEMO000001" not in ids


@pytest.mark.parametrize("text, hit", [
    ("sample DEMO000001 failed", True),
    ("DEMO0000011", False),             # a longer ID is not the shorter one
    ("xDEMO000001", False),
    ("DEMO000001.", True),              # end of a sentence
    ('"iid": "DEMO000001"', True),
    ("DEMO000001_DEMO000001", True),    # plink2's FID_IID
    ("out/DEMO000001.bed", True),
    ("DEMO000001-x", True),
    ("p = 0.000001", False),
])
def test_whole_token_matching(tmp_path, text, hit):
    f = tmp_path / "x.log"
    f.write_text(text)
    found = scan_for_ids([f], {"DEMO000001"})
    assert (found == [(str(f), "DEMO000001")]) is hit


def test_numbers_are_not_split_at_the_decimal_point(tmp_path):
    f = tmp_path / "m.json"
    f.write_text('{"auc": 0.1001, "n": 1001}')
    assert scan_for_ids([f], {"1001"}) == [(str(f), "1001")]  # the integer token matches
    f.write_text('{"auc": 0.1001}')
    assert scan_for_ids([f], {"1001"}) == []
    assert "0.1001" in tokens("auc 0.1001") and "1001" not in tokens("auc 0.1001")


def test_data_uris_are_scanned_by_their_png_text_not_as_base64(tmp_path):
    page = tmp_path / "r.html"
    # random base64 that happens to contain the ID between '+' and '/' must not count
    page.write_text('<img src="data:image/png;base64,AAAA+DEMO000001/AAAA">')
    assert scan_for_ids([page], {"DEMO000001"}) == []
    # an ID stored in the PNG's metadata must
    png = _png_with_text("Comment", "sample DEMO000001")
    assert "DEMO000001" in png_text(png)
    uri = "data:image/png;base64," + base64.b64encode(png).decode()
    page.write_text(f'<img src="{uri}">')
    assert scan_for_ids([page], {"DEMO000001"}) == [(str(page), "DEMO000001")]


def test_missing_file_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        scan_for_ids([tmp_path / "nope.json"], {"A"})


def _tree(tmp_path: Path) -> tuple[Path, Path]:
    results = tmp_path / "results"
    fam = _fam(results / "cohort" / "cohort.fam", [(f"DEMO{i:06d}", f"DEMO{i:06d}") for i in range(1, 31)])
    for rel, text in {
        "reports/cad.html": "<p>532 people</p>",
        "reports/index.html": "<a href='cad.html'>cad</a>",
        "reports/cad.verdict.json": "{}",
        "cad/metrics/matched.json": json.dumps({"auc": 0.7}),
        "cad/split/split_summary.json": json.dumps({"train": {"individuals": 24}}),
        "qc/qc_summary.json": "{}",
        "inputs/validated.json": "{}",
        "logs/cad/split_samples.log": "INFO train: 24 individuals\n",
        "logs/qc.log": "INFO done\n",
        "cad/split/train.ids": "DEMO000001 DEMO000001\n",   # not shareable: not scanned
    }.items():
        p = results / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return results, fam


def test_shareable_outputs_cover_reports_metrics_summaries_logs(tmp_path):
    results, _ = _tree(tmp_path)
    rel = {str(p.relative_to(results)) for p in shareable_outputs(results)}
    assert rel == {"reports/cad.html", "reports/index.html", "reports/cad.verdict.json", "cad/metrics/matched.json",
                   "cad/split/split_summary.json", "qc/qc_summary.json", "inputs/validated.json",
                   "logs/cad/split_samples.log", "logs/qc.log"}


def test_scan_rule_clean_then_planted(tmp_path):
    results, fam = _tree(tmp_path)
    out = results / "reports" / "leak_scan.json"
    summary = run_scan_rule(results=results, fam=fam, out_json=out, log_path=results / "logs" / "scan.log")
    assert summary["status"] == "clean" and json.loads(out.read_text())["status"] == "clean"
    assert summary["n_files_scanned"] == 9  # its own log and output are not scanned
    assert summary["real_ids_checked"] == "30"

    log = results / "logs" / "cad" / "gwas.log"
    log.write_text("--keep: sample DEMO000012 kept\n")
    with pytest.raises(RuntimeError) as err:
        run_scan_rule(results=results, fam=fam, out_json=out, log_path=results / "logs" / "scan.log")
    assert "logs/cad/gwas.log" in str(err.value)
    assert "DEMO000012" not in str(err.value)
    assert "DEMO000012" not in (results / "logs" / "scan.log").read_text()
    assert "DEMO000012" not in out.read_text()

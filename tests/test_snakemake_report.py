"""`snakemake --report report.zip` (issue 22): the archive holds every page registered with
report() in workflow/rules/report.smk.

A real run takes minutes, so the test builds the report from a *fake* finished run: every output
of the test config's DAG (from `--summary`) is created with placeholder content (valid 1x1 PNGs,
tiny HTML pages), `--touch` records them as up to date, then `--report` runs as after a real
run. It checks what Snakemake packs, not the pages' content (tests/test_report.py does that).
"""
from __future__ import annotations

import base64
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import yaml

from conftest import NO_SLURM

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")
TEST_CONFIG = REPO / "tests" / "config" / "config.yaml"
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")


def snakemake(work: Path, *args: str) -> str:
    cmd = [SNAKEMAKE, "-s", str(REPO / "Snakefile"), "--directory", str(work),
           "--workflow-profile", "none", "--configfile", str(TEST_CONFIG),
           "--config", "results=results", "--cores", "1", *args]
    env = {**{k: v for k, v in os.environ.items() if k != "SNAKEMAKE_PROFILE"}, **NO_SLURM}
    proc = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    return proc.stdout


def test_report_zip_from_a_finished_run(tmp_path):
    work = tmp_path / "run"
    work.mkdir()
    diseases = sorted(yaml.safe_load((REPO / yaml.safe_load(TEST_CONFIG.read_text())["diseases_file"])
                                     .read_text()))
    outputs = [line.split("\t")[0] for line in snakemake(work, "--summary").splitlines()[1:] if line]
    dirs = {f"results/reports/{d}" for d in diseases}
    for rel in outputs:
        path = work / rel
        if rel in dirs or "/figures/" in rel:
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("<html><body>placeholder</body></html>" if rel.endswith(".html") else "x")
    for d in diseases:
        (work / "results" / "reports" / d / "pca.png").write_bytes(PNG)
    snakemake(work, "--touch")
    snakemake(work, "--report", "report.zip")

    with zipfile.ZipFile(work / "report.zip") as zf:
        names = zf.namelist()
        html = zf.read("report/report.html").decode()
    base = {Path(n).name for n in names}
    assert {f"{d}.html" for d in diseases} <= base, names
    assert {"index.html", "leak_scan.json", "pca.png", "report.html"} <= base, names
    assert sum(Path(n).name == "pca.png" for n in names) == len(diseases), "one key figure per disease"
    for text in ("Disease reports", "Key figures", "render_report", "render_index"):
        assert text in html, f"{text!r} not in report.html"

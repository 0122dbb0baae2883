"""Deployment conventions (issue 22): the workflow runs from any directory.

* `snakemake -s <repo>/Snakefile --directory <tmp>` dry-runs the demo in a folder that holds
  nothing of snpgen: the bundled config/config.yaml, config/diseases.yaml and
  resources/demo_cohort.yaml are found next to the workflow, results go to the tmp folder.
* snakedeploy-style module use: a caller's workflow/Snakefile with `module snpgen:` pointing at
  this repository's Snakefile and its own config/config.yaml dry-runs the whole DAG.
Dry runs only (a few seconds each); nothing is computed.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import NO_SLURM

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")


def dry_run(cwd: Path, *args: str) -> str:
    env = {**{k: v for k, v in os.environ.items() if k != "SNAKEMAKE_PROFILE"}, **NO_SLURM}
    proc = subprocess.run([SNAKEMAKE, "-n", "-p", "--cores", "1", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-6000:]
    return out


def test_demo_dry_runs_with_directory_elsewhere(tmp_path):
    work = tmp_path / "elsewhere"
    work.mkdir()
    out = dry_run(tmp_path, "-s", str(REPO / "Snakefile"), "--directory", str(work),
                  "--workflow-profile", "none")
    # the bundled demo parameters, from the workflow's folder
    m = re.search(r"rule simulate_cohort:\n\s+input: (\S+)", out)
    assert m, out[-4000:]
    assert Path(m.group(1)) == REPO / "resources" / "demo_cohort.yaml"
    assert "results/cohort/cohort.bed" in out
    for rule in ("simulate_cohort", "train_vae", "render_index", "scan_shareable_outputs"):
        assert re.search(rf"^{rule}\s+\d+$", out, re.M), f"{rule} missing from the job stats"
    # nothing of snpgen was copied into the working directory
    assert not (work / "config").exists() and not (work / "resources").exists()


def test_module_use_from_another_workflow(tmp_path):
    (tmp_path / "workflow").mkdir()
    (tmp_path / "config").mkdir()
    shutil.copy(REPO / "config" / "config.yaml", tmp_path / "config" / "config.yaml")
    (tmp_path / "workflow" / "Snakefile").write_text(f'''
configfile: "config/config.yaml"


module snpgen:
    snakefile:
        "{REPO / "Snakefile"}"
    config:
        config


use rule * from snpgen as snpgen_*
''')
    out = dry_run(tmp_path)
    m = re.search(r"rule snpgen_simulate_cohort:\n\s+input: (\S+)", out)
    assert m, out[-4000:]
    assert Path(m.group(1)) == REPO / "resources" / "demo_cohort.yaml"
    assert re.search(r"^snpgen_train_diffusion\s+\d+$", out, re.M), out[-4000:]

"""Shared test fixtures: the package on sys.path, and one real snakemake run of the tiny test config."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "workflow"))

SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")
TEST_CONFIG = ROOT / "tests" / "config" / "config.yaml"
# For every snakemake run that does not use SLURM: the SLURM executor plugin runs
# `scontrol show config` when Snakemake loads it (for a help text). Where SLURM is installed but
# no controller is up (e.g. /etc/slurm/slurm.conf left by tests/slurm/cluster.sh), scontrol
# retries for ~9 s -- in every snakemake process. An empty SLURM config makes it fail at once.
NO_SLURM = {"SLURM_CONF": "/dev/null"}


def own_workdir(results: Path) -> list[str]:
    """Arguments that run the repository's workflow from a working directory of its own beside
    ``results`` (as a deployment runs it, `-s .../Snakefile --directory ...`), so each test's
    snakemake keeps its own .snakemake/. From one shared directory the suite's concurrent runs
    (pytest-xdist) raced on .snakemake/locks: every snakemake that finishes deletes the whole locks
    folder (snakemake 9.27, persistence/file.py _delete_locks), and a run that was reading or
    writing its own lock there at that moment failed (FileNotFoundError in persistence.lock())."""
    workdir = results.parent / "workdir"
    workdir.mkdir(parents=True, exist_ok=True)
    return ["--snakefile", str(ROOT / "Snakefile"), "--directory", str(workdir)]


def run_snakemake(results: Path, *args: str, check: bool = True, configfile: Path = TEST_CONFIG,
                  timeout: int = 1500) -> subprocess.CompletedProcess:
    cmd = [SNAKEMAKE, "--cores", "2", *own_workdir(results), "--configfile", str(configfile),
           "--config", f"results={results}", "--workflow-profile", "none", *args]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "PYTHONHASHSEED": "0", **NO_SLURM})
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-6000:]}")
    return proc


@pytest.fixture(scope="session")
def workflow_run(tmp_path_factory, worker_id) -> Path:
    """The real workflow on the tiny test config, run once per test session; returns its results dir.
    Under pytest-xdist (make test) the workers share one run: the first to need it runs it while
    holding a file lock in their common temporary folder, the others wait and reuse it."""
    if worker_id == "master":  # no xdist
        results = tmp_path_factory.mktemp("e2e") / "results"
        run_snakemake(results)
        return results
    from filelock import FileLock

    shared = tmp_path_factory.getbasetemp().parent
    results, done = shared / "e2e" / "results", shared / "e2e" / "done"
    with FileLock(str(shared / "e2e.lock")):
        if not done.exists():
            run_snakemake(results)
            done.touch()
    return results


@pytest.fixture(scope="session")
def plink2_available() -> bool:
    if not shutil.which("plink2"):
        pytest.skip("plink2 not installed (scripts/setup.sh installs it)")
    return True


# The longest test files first: under `make test` (two workers, --dist loadfile) a file stays on one
# worker, and the SLURM file (about 6 min: a one-node cluster and a real workflow through it) started
# last when collected in name order, so the other worker sat idle at the end. Started first, it runs
# beside everything else. The rest keep their order.
SLOW_FILES_FIRST = ("test_slurm.py", "test_report.py", "test_workflow.py", "test_resume.py")


def pytest_collection_modifyitems(session, config, items):
    rank = {name: i for i, name in enumerate(SLOW_FILES_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the rest in their order

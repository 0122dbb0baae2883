"""An interrupted run started again with the same command finishes, reusing finished stages, and
gives the same synthetic cohort as an uninterrupted run with the same seed (CPU)."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import NO_SLURM, ROOT, SNAKEMAKE, TEST_CONFIG

pytestmark = pytest.mark.e2e


def command(results: Path, target: str) -> list[str]:
    return [SNAKEMAKE, "--cores", "2", "--configfile", str(TEST_CONFIG), "--config", f"results={results}",
            "--workflow-profile", "none", "--rerun-incomplete", target]


def wait_for_line(log: Path, text: str, proc: subprocess.Popen, timeout: float = 600) -> None:
    start = time.time()
    while time.time() - start < timeout:
        if log.exists() and text in log.read_text():
            return
        if proc.poll() is not None:
            raise AssertionError(f"snakemake ended before training started:\n{proc.stdout.read()[-3000:]}")
        time.sleep(0.05)
    raise AssertionError("training did not start in time")


def remove_own_locks(results: Path) -> None:
    """What ``snakemake --unlock`` does for the killed run, without its side effect here: --unlock deletes
    the whole .snakemake/locks folder of the working directory, which the other snakemake runs of the
    suite share (under xdist they run at the same time, and one that was writing its own lock then
    failed: FileNotFoundError on .snakemake/locks/0.input.lock). Removes the lock files naming ``results``."""
    locks = ROOT / ".snakemake" / "locks"
    stale = [f for f in locks.glob("*.lock") if str(results) in f.read_text()] if locks.is_dir() else []
    assert stale, "the killed run left no lock to remove"
    for f in stale:
        f.unlink()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_killed_during_training_resumes_to_the_same_cohort(workflow_run, tmp_path, sig):
    results = tmp_path / "results"
    target = f"{results}/cad/synthetic/matched.bed"
    env = {**os.environ, "PYTHONHASHSEED": "0", **NO_SLURM}
    proc = subprocess.Popen(command(results, target), cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env, start_new_session=True)
    # killed as the diffusion job starts: the test config's training then takes about 1 s (2 epochs
    # and the guidance check), loading torch and the latents before it about 2 s; waiting for the
    # first epoch line raced the end of training on a quiet machine
    wait_for_line(results / "logs" / "cad" / "train_diffusion.log", "train_diffusion: start", proc)
    # the whole process group, as a scheduler or a closed terminal would
    os.killpg(proc.pid, sig)
    proc.wait(timeout=120)
    assert not (results / "cad" / "synthetic" / "matched.bed").exists()
    assert not (results / "cad" / "model" / "diffusion.pt").exists(), "a half-trained checkpoint was left"
    vae_mtime = (results / "cad" / "model" / "vae.pt").stat().st_mtime

    if sig == signal.SIGKILL:  # a killed snakemake leaves its lock (the documented first step is --unlock)
        remove_own_locks(results)
    again = subprocess.run(command(results, target), cwd=ROOT, env=env, capture_output=True, text=True)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    out = again.stdout + again.stderr
    assert "rule train_vae" not in out and "rule select_snps" not in out, "finished stages were redone"
    assert (results / "cad" / "model" / "vae.pt").stat().st_mtime == vae_mtime
    for suffix in (".bed", ".bim", ".fam"):
        a = (workflow_run / "cad" / "synthetic" / f"matched{suffix}").read_bytes()
        b = (results / "cad" / "synthetic" / f"matched{suffix}").read_bytes()
        assert a == b, f"synthetic matched{suffix} differs from the uninterrupted run"

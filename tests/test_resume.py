"""An interrupted run started again with the same command finishes, reusing finished stages, and
gives the same synthetic cohort as an uninterrupted run with the same seed (CPU)."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import NO_SLURM, ROOT, SNAKEMAKE, TEST_CONFIG, own_workdir

pytestmark = pytest.mark.e2e


def command(results: Path, *args: str) -> list[str]:
    return [SNAKEMAKE, "--cores", "2", *own_workdir(results), "--configfile", str(TEST_CONFIG),
            "--config", f"results={results}", "--workflow-profile", "none", *args]


def wait_for_line(log: Path, text: str, proc: subprocess.Popen, timeout: float = 600) -> None:
    start = time.time()
    while time.time() - start < timeout:
        if log.exists() and text in log.read_text():
            return
        if proc.poll() is not None:
            raise AssertionError(f"snakemake ended before training started:\n{proc.stdout.read()[-3000:]}")
        time.sleep(0.05)
    raise AssertionError("training did not start in time")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_killed_during_training_resumes_to_the_same_cohort(workflow_run, tmp_path, sig):
    results = tmp_path / "results"
    target = f"{results}/cad/synthetic/matched.bed"
    env = {**os.environ, "PYTHONHASHSEED": "0", **NO_SLURM}
    proc = subprocess.Popen(command(results, "--rerun-incomplete", target), cwd=ROOT, stdout=subprocess.PIPE,
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

    if sig == signal.SIGKILL:  # a killed snakemake leaves its lock: the documented first step is --unlock
        locked = subprocess.run(command(results, "--rerun-incomplete", target), cwd=ROOT, env=env,
                                capture_output=True, text=True)
        assert locked.returncode != 0 and "cannot be locked" in locked.stdout + locked.stderr
        unlock = subprocess.run(command(results, "--unlock"), cwd=ROOT, env=env, capture_output=True, text=True)
        assert unlock.returncode == 0, unlock.stderr[-3000:]
    again = subprocess.run(command(results, "--rerun-incomplete", target), cwd=ROOT, env=env,
                           capture_output=True, text=True)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    out = again.stdout + again.stderr
    assert "rule train_vae" not in out and "rule select_snps" not in out, "finished stages were redone"
    assert (results / "cad" / "model" / "vae.pt").stat().st_mtime == vae_mtime
    for suffix in (".bed", ".bim", ".fam"):
        a = (workflow_run / "cad" / "synthetic" / f"matched{suffix}").read_bytes()
        b = (results / "cad" / "synthetic" / f"matched{suffix}").read_bytes()
        assert a == b, f"synthetic matched{suffix} differs from the uninterrupted run"

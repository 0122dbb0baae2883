"""scripts/setup.sh without root (issue 22): on a cluster login node.

setup.sh runs against a sandbox PATH: shims for apt-get/sudo/dpkg that log every call (and
fail), a stub `id` that says who we are, optional stub plink2/plink1.9, and a fake python
whose `-m venv DIR` makes a venv of logging stubs (pip, python, snakemake), so a run takes
well under a second and installs nothing. The checks: with plink2 + PLINK 1.9 on PATH and no
root, setup creates the venv and calls neither apt-get nor sudo; with them missing it still
calls no apt-get (it only probes `sudo -n true`) and says what to load; as root it installs
just the two PLINK packages -- never SLURM or Chromium, which only `make test` installs.
"""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SETUP = REPO / "scripts" / "setup.sh"
TOOLS = ["bash", "sh", "dirname", "cmp", "cp", "head", "mkdir", "chmod", "cat"]


def _write(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(0o755)


def sandbox(tmp_path: Path, *, uid: int, plink: bool, apt_ok: bool = False) -> tuple[dict, Path]:
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    log = tmp_path / "calls.log"
    for tool in TOOLS:
        for d in ("/usr/bin", "/bin"):
            if Path(d, tool).exists():
                (bin_ / tool).symlink_to(Path(d, tool))
                break
    logger = f'echo "$(basename "$0") $*" >> {log}\n'
    _write(bin_ / "basename", "#!/bin/sh\necho \"${1##*/}\"\n")
    _write(bin_ / "id", f"#!/bin/sh\n[ \"$1\" = -u ] && echo {uid} || echo 'uid={uid}'\n")
    _write(bin_ / "apt-get", "#!/bin/sh\n" + logger + ("exit 0\n" if apt_ok else "exit 100\n"))
    _write(bin_ / "sudo", "#!/bin/sh\n" + logger + "echo 'sudo: a password is required' >&2; exit 1\n")
    _write(bin_ / "dpkg", "#!/bin/sh\n" + logger + "exit 1\n")
    if plink:
        _write(bin_ / "plink2", "#!/bin/sh\necho 'PLINK v2.00a3.5 (fake)'\n")
        _write(bin_ / "plink1.9", "#!/bin/sh\necho 'PLINK v1.90b6.26 (fake)'\n")
    # a fake python: `-m venv DIR` makes DIR/bin/{python,pip,snakemake} that only log
    stub = "#!/bin/sh\n" + logger
    _write(tmp_path / "fakepython", "#!/bin/sh\n" + logger +
           '[ "$1 $2" = "-m venv" ] || exit 1\n'
           'mkdir -p "$3/bin"\n'
           f"for t in python pip; do printf '%s' '{stub}' > \"$3/bin/$t\"; chmod +x \"$3/bin/$t\"; done\n"
           f"printf '%s' '{stub}echo \"9.27.1\"\n' > \"$3/bin/snakemake\"; chmod +x \"$3/bin/snakemake\"\n")
    env = {"PATH": str(bin_), "HOME": str(tmp_path), "VENV": str(tmp_path / "venv"),
           "PYTHON": str(tmp_path / "fakepython")}
    return env, log


def run_setup(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(["/bin/bash", str(SETUP)], env=env, capture_output=True, text=True,
                          timeout=60)


def calls(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def test_no_root_with_plink_on_path_only_makes_the_venv(tmp_path):
    env, log = sandbox(tmp_path, uid=1000, plink=True)
    proc = run_setup(env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    made = calls(log)
    assert not [c for c in made if re.match(r"(apt-get|sudo|dpkg) ", c)], made
    assert (tmp_path / "venv" / "bin" / "python").exists()
    assert f"fakepython -m venv {tmp_path / 'venv'}" in made
    assert "pip install -q -r requirements.txt" in made
    assert "pip install -q torch==2.13.0" in made
    assert (tmp_path / "venv" / ".snpgen-requirements").read_text() == \
        (REPO / "requirements.txt").read_text()
    assert "PLINK v2.00a3.5 (fake)" in proc.stdout
    # idempotent: a second run changes nothing and installs nothing
    log.unlink()
    proc = run_setup(env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert [c for c in calls(log) if not c.startswith("snakemake ")] == []


def test_bioconda_plink_name_counts_as_plink19(tmp_path):
    env, log = sandbox(tmp_path, uid=1000, plink=True)
    (tmp_path / "bin" / "plink1.9").rename(tmp_path / "bin" / "plink")  # bioconda / modules
    proc = run_setup(env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not [c for c in calls(log) if re.match(r"(apt-get|sudo) ", c)]
    assert "WARNING" not in proc.stdout


def test_no_root_without_plink_installs_nothing_system_wide(tmp_path):
    env, log = sandbox(tmp_path, uid=1000, plink=False)
    proc = run_setup(env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    made = calls(log)
    assert not [c for c in made if c.startswith("apt-get")], made
    # the only sudo call is the non-interactive probe, never a command run as root
    assert [c for c in made if c.startswith("sudo")] == ["sudo -n true"], made
    assert "not on PATH: plink2 plink1.9" in proc.stdout
    assert "module load" in proc.stdout and "--sdm" in proc.stdout
    assert (tmp_path / "venv" / "bin" / "python").exists()


def test_snpgen_no_apt_never_calls_apt(tmp_path):
    env, log = sandbox(tmp_path, uid=0, plink=False)
    env["SNPGEN_NO_APT"] = "1"
    proc = run_setup(env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not [c for c in calls(log) if re.match(r"(apt-get|sudo) ", c)]


def test_root_installs_only_the_plink_packages(tmp_path):
    env, log = sandbox(tmp_path, uid=0, plink=False, apt_ok=True)
    proc = run_setup(env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    made = calls(log)
    installs = [c for c in made if c.startswith("apt-get install")]
    assert installs == ["apt-get install -y -qq plink2 plink1.9"], made
    assert not [c for c in made if c.startswith("sudo")], made
    for pkg in ("slurm", "munge", "chromium"):
        assert pkg not in " ".join(made), f"setup.sh must not install {pkg}"


def test_slurm_and_chromium_only_in_the_test_setup():
    setup = SETUP.read_text()
    code = "\n".join(ln for ln in setup.splitlines() if not ln.lstrip().startswith("#"))
    for pkg in ("slurm", "munge", "chromium", "install_slurm"):
        assert pkg not in code, f"scripts/setup.sh installs {pkg}"
    test_setup = (REPO / "scripts" / "setup_test.sh").read_text()
    assert "install_slurm.sh" in test_setup and "chromium" in test_setup
    make = (REPO / "Makefile").read_text()
    assert re.search(r"^test:\s*setup-test\b", make, re.M), "make test must run the test setup"
    assert re.search(r"^setup-test:\s*setup\b.*\n\tbash scripts/setup_test\.sh", make, re.M)
    assert re.search(r"^demo:\s*setup\s", make, re.M), "make demo must not install SLURM"
    ci = (REPO / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, re.M), ".ci/run must call `make test` verbatim"

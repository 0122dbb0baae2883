"""The one place that runs plink2 / plink1.9 as subprocesses."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Sequence


class PlinkError(RuntimeError):
    """A plink run failed; the message carries the command and the log tail."""


def _binary(name: str, env_var: str) -> str:
    exe = os.environ.get(env_var) or shutil.which(name)
    if not exe:
        raise PlinkError(
            f"{name} not found on PATH (set {env_var} or install it: apt-get install "
            f"{'plink2' if name == 'plink2' else 'plink1.9'}, or the conda env in envs/)"
        )
    return exe


def plink2_exe() -> str:
    return _binary("plink2", "SNPGEN_PLINK2")


def plink19_exe() -> str:
    # Debian names the binary plink1.9; conda/modules name it plink.
    exe = os.environ.get("SNPGEN_PLINK19") or shutil.which("plink1.9") or shutil.which("plink")
    if not exe:
        raise PlinkError("plink1.9 not found on PATH (set SNPGEN_PLINK19 or apt-get install plink1.9)")
    return exe


def _run(exe: str, args: Sequence[str], out: str | Path, threads: int, memory_mb: int | None) -> Path:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = [exe, *map(str, args), "--threads", str(threads), "--out", str(out)]
    if memory_mb:
        cmd += ["--memory", str(int(memory_mb))]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    log = Path(str(out) + ".log")
    if proc.returncode != 0:
        tail = ""
        if log.exists():
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
        else:
            tail = (proc.stdout + proc.stderr)[-2000:]
        raise PlinkError(f"{Path(exe).name} failed (exit {proc.returncode}): {' '.join(cmd)}\n{tail}")
    return log


def plink2(args: Sequence[str], out: str | Path, threads: int = 1, memory_mb: int | None = None) -> Path:
    """Run plink2 with ``args`` writing to prefix ``out``; returns the plink log path."""
    return _run(plink2_exe(), args, out, threads, memory_mb)


def plink19(args: Sequence[str], out: str | Path, threads: int = 1, memory_mb: int | None = None) -> Path:
    """Run plink1.9 (used only for --clump, which Debian's plink2 a3.5 build lacks)."""
    return _run(plink19_exe(), args, out, threads, memory_mb)


def version(exe: str) -> str:
    proc = subprocess.run([exe, "--version"], capture_output=True, text=True)
    return (proc.stdout or proc.stderr).strip().splitlines()[0] if (proc.stdout or proc.stderr) else "unknown"


def tool_versions() -> dict:
    """``{"plink2": ..., "plink1.9": ...}`` for the provenance records (snpgen.provenance): the first line
    of ``--version``, or ``"unavailable (ErrorClass)"`` (recorded, not fatal)."""
    out = {}
    for name, exe in (("plink2", plink2_exe), ("plink1.9", plink19_exe)):
        try:
            out[name] = version(exe())
        except Exception as e:  # noqa: BLE001 - recorded, not fatal
            out[name] = f"unavailable ({e.__class__.__name__})"
    return out

"""The one provenance collector: software versions, plink tool versions, git commit, seeds, date.

Three outputs record provenance, each in its own long-standing shape:

- :func:`evaluation_provenance` -- the ``provenance`` block of every metrics JSON (seed + versions);
- :func:`checkpoint_versions` -- the ``versions`` block of the model checkpoints;
- :func:`run_provenance` -- the provenance table of the HTML reports (commit, config hash, seeds, ...).

All three read package versions through :func:`package_version` (``importlib.metadata``: nothing
heavy such as torch or scikit-learn is imported just to learn its version). The plink versions come
from :func:`snpgen.plink.tool_versions`, passed in by the caller: this module does not import
snpgen.plink, so the model code (torch env, no plink binaries) can use it. Standard library only.
"""
from __future__ import annotations

import datetime as _dt
import platform
import subprocess
from pathlib import Path

NOT_INSTALLED = "not installed"

# the packages of the report's table: key shown -> distribution name
REPORT_PACKAGES = {"torch": "torch", "numpy": "numpy", "snakemake": "snakemake", "polars": "polars",
                   "scipy": "scipy", "scikit-learn": "scikit-learn", "matplotlib": "matplotlib", "jinja2": "jinja2"}


def package_version(dist: str) -> str:
    """The installed version of distribution ``dist`` (``"not installed"`` when absent)."""
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return NOT_INSTALLED


def snpgen_version() -> str:
    import snpgen

    return str(snpgen.__version__)


def python_version() -> str:
    return platform.python_version()


def git_commit(cwd: str | Path | None = None) -> str:
    """``git rev-parse HEAD`` (+ " (uncommitted changes)"), "unknown" outside a git checkout."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=20)
        if head.returncode != 0 or not head.stdout.strip():
            return "unknown"
        commit = head.stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=cwd,
                               capture_output=True, text=True, timeout=60)
        return commit + (" (uncommitted changes)" if dirty.returncode == 0 and dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def evaluation_provenance(seed: int, tools: dict) -> dict:
    """Seed and software versions, for the metrics files (``polars`` left out when not installed);
    ``tools``: :func:`snpgen.plink.tool_versions`."""
    out = {"seed": int(seed), "python": python_version(), "numpy": package_version("numpy"),
           "scipy": package_version("scipy"), "scikit_learn": package_version("scikit-learn")}
    polars = package_version("polars")
    if polars != NOT_INSTALLED:
        out["polars"] = polars
    out.update(tools)
    return out


def checkpoint_versions() -> dict:
    """The versions recorded in a model checkpoint."""
    return {"torch": package_version("torch"), "numpy": package_version("numpy"), "snpgen": snpgen_version()}


def run_provenance(*, config_hash: str | None, seeds: dict | None, tools: dict, repo_dir: str | Path | None = None,
                   now: _dt.datetime | None = None) -> dict:
    """Software versions, commit, config hash, seeds and run date (the reports' provenance table);
    ``tools``: :func:`snpgen.plink.tool_versions`."""
    now = now or _dt.datetime.now(_dt.timezone.utc)
    packages = {"python": python_version()}
    packages.update({key: package_version(dist) for key, dist in REPORT_PACKAGES.items()})
    return {
        "snpgen": snpgen_version(),
        "git_commit": git_commit(repo_dir),
        "config_hash": config_hash or "unknown",
        "seeds": dict(seeds or {}),
        "packages": packages,
        "tools": dict(tools),
        "run_date": now.strftime("%Y-%m-%d %H:%M UTC"),
    }

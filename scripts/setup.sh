#!/usr/bin/env bash
# Set up what snpgen needs to RUN: plink2 + PLINK 1.9 on PATH, and the Python venv.
# Idempotent: a second run only checks and returns in seconds.
#
# * plink2 and PLINK 1.9 already on PATH (a `module load`, a conda env, a site install) are
#   used as they are; PLINK 1.9 may be called `plink1.9` (Debian) or `plink` (bioconda,
#   modules). Only when one is missing does this script try the system packages, and only
#   when it may: as root, or with `sudo` that works without a password (`sudo -n`). On a
#   cluster login node without root it installs nothing system-wide: it creates the venv and
#   says which tools to load (`module load plink2`, or `--sdm conda` / `--sdm apptainer`).
# * It never installs SLURM or Chromium: those are needed only by the test suite
#   (scripts/setup_test.sh, called by `make test`), never on a real cluster, whose SLURM must
#   not be touched.
#
# Knobs (environment): VENV (default .venv), PYTHON (default python3),
#   SNPGEN_TORCH (pip spec of torch, default torch==2.13.0: the CPU wheel here; on a GPU login
#   node use the CUDA build of the same version), SNPGEN_NO_APT=1 (never use apt-get),
#   SNPGEN_EXTRA_APT (more Debian packages to install when root).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PY=${PYTHON:-python3}
TORCH=${SNPGEN_TORCH:-torch==2.13.0}

log() { echo "[setup] $*"; }

# How we may install system packages: "root", "sudo" (passwordless) or "" (not at all).
privilege() {
  if [ "${SNPGEN_NO_APT:-0}" = 1 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo ""; return
  fi
  if [ "$(id -u)" -eq 0 ]; then echo root; return; fi
  if command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then echo sudo; return; fi
  echo ""
}

have_plink19() { command -v plink1.9 >/dev/null 2>&1 || command -v plink >/dev/null 2>&1; }

missing=()
command -v plink2 >/dev/null 2>&1 || missing+=(plink2)
have_plink19 || missing+=(plink1.9)
missing+=(${SNPGEN_EXTRA_APT:-})

if [ ${#missing[@]} -gt 0 ]; then
  how=$(privilege)
  if [ -n "$how" ]; then
    SUDO=""; [ "$how" = root ] || SUDO="sudo -n"
    log "apt-get install ${missing[*]} (as $how)"
    $SUDO apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    log "WARNING: not on PATH: ${missing[*]}; no root (and no passwordless sudo), so nothing is"
    log "         installed system-wide. Load them before running the workflow, e.g."
    log "         \`module load plink2 plink\` or \`conda install -c bioconda plink2 plink\`,"
    log "         or let Snakemake provide them per rule: --sdm conda (envs/*.yaml) or"
    log "         --sdm apptainer (containers/, see docs/install.md)."
  fi
fi

stamp="$VENV/.snpgen-requirements"
if [ ! -x "$VENV/bin/python" ]; then
  log "creating venv $VENV"
  "$PY" -m venv "$VENV"
fi
if [ ! -f "$stamp" ] || ! cmp -s requirements.txt "$stamp"; then
  log "installing Python packages into $VENV"
  "$VENV/bin/pip" install -q --upgrade pip
  # torch first: the pinned CPU wheel (an unpinned torch pulls a multi-GB CUDA build)
  "$VENV/bin/pip" install -q "$TORCH"
  "$VENV/bin/pip" install -q -r requirements.txt
  "$VENV/bin/pip" install -q --no-deps -e .
  cp requirements.txt "$stamp"
fi

plink_v="plink2 not on PATH"
command -v plink2 >/dev/null 2>&1 && plink_v=$(plink2 --version 2>/dev/null | head -1)
log "ok: $("$VENV/bin/snakemake" --version | head -1) snakemake, $plink_v"

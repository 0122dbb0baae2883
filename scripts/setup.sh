#!/usr/bin/env bash
# Set up everything snpgen needs on a fresh Debian 12 machine: system packages and a venv.
# Idempotent: a second run only checks and returns in seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PY=${PYTHON:-python3}

apt_pkgs=(plink2 plink1.9 slurm-wlm slurmctld slurmd munge chromium ${SNPGEN_EXTRA_APT:-})
missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "[setup] apt-get install ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq >/dev/null 2>&1 || true
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

stamp="$VENV/.snpgen-requirements"
if [ ! -x "$VENV/bin/python" ]; then
  echo "[setup] creating venv $VENV"
  "$PY" -m venv "$VENV"
fi
if [ ! -f "$stamp" ] || ! cmp -s requirements.txt "$stamp"; then
  echo "[setup] installing Python packages into $VENV"
  "$VENV/bin/pip" install -q --upgrade pip
  # torch first: the pinned CPU wheel (an unpinned torch pulls a multi-GB CUDA build)
  "$VENV/bin/pip" install -q torch==2.13.0
  "$VENV/bin/pip" install -q -r requirements.txt
  "$VENV/bin/pip" install -q --no-deps -e .
  cp requirements.txt "$stamp"
fi
echo "[setup] ok: $("$VENV/bin/snakemake" --version | head -1) snakemake, $(plink2 --version | head -1)"

#!/usr/bin/env bash
# Test-only setup (called by `make test`, and so by .ci/run): the Debian packages that only
# the test suite needs, on top of scripts/setup.sh:
#   * SLURM + munge for the one-node localhost cluster of tests/test_slurm.py
#     (scripts/install_slurm.sh);
#   * Chromium for the browser tests of tests/test_report.py.
# Never part of `make setup` / `make demo`: a real cluster's SLURM must not be touched.
# Installs only as root or with passwordless sudo; otherwise it says so and the tests that
# need these are skipped (or fail, with SNPGEN_REQUIRE_SLURM=1 / SNPGEN_REQUIRE_BROWSER=1).
# Idempotent. SNPGEN_NO_APT=1 skips it.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { echo "[setup-test] $*"; }

if [ "${SNPGEN_NO_APT:-0}" = 1 ] || ! command -v apt-get >/dev/null 2>&1; then
  log "apt-get not used (SNPGEN_NO_APT=1 or no apt-get): SLURM/browser tests may be skipped"
  exit 0
fi
if [ "$(id -u)" -ne 0 ] && ! { command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; }; then
  log "not root and no passwordless sudo: SLURM and Chromium not installed (their tests are skipped)"
  exit 0
fi
bash scripts/install_slurm.sh
if ! dpkg -s chromium 2>/dev/null | grep -q '^Status: install ok installed'; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo -n"
  log "apt-get install chromium"
  $SUDO apt-get update -qq >/dev/null 2>&1 || true
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
log "ok: slurm $(dpkg-query -W -f='${Version}' slurmctld 2>/dev/null || echo '?'), chromium $(dpkg-query -W -f='${Version}' chromium 2>/dev/null || echo '?')"

#!/usr/bin/env bash
# Install a SLURM + munge stack from the Debian repositories (for the one-node test
# cluster in tests/slurm/cluster.sh). Idempotent: packages already installed are skipped,
# so a second run only checks and returns in about a second.
#   usage: scripts/install_slurm.sh
set -euo pipefail
pkgs=(slurm-wlm slurmctld slurmd munge slurm-client)
missing=()
for p in "${pkgs[@]}"; do
  dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "[install_slurm] already installed: ${pkgs[*]} (slurm $(dpkg-query -W -f='${Version}' slurmctld))"
  exit 0
fi
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "[install_slurm] apt-get install ${missing[*]}"
$SUDO apt-get update -qq >/dev/null 2>&1 || true
# policy-rc.d 101: packages must not try to start services (there is no systemd here)
prc=/usr/sbin/policy-rc.d; made_prc=0
if [ ! -e "$prc" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$prc" >/dev/null; $SUDO chmod +x "$prc"; made_prc=1
fi
trap '[ "$made_prc" = 1 ] && $SUDO rm -f "$prc"' EXIT
aptlog=$(mktemp)
if ! DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >"$aptlog" 2>&1; then
  tail -n 30 "$aptlog" >&2; rm -f "$aptlog"
  echo "[install_slurm] ERROR: apt-get install ${missing[*]} failed" >&2
  exit 1
fi
rm -f "$aptlog"
echo "[install_slurm] ok: slurm $(dpkg-query -W -f='${Version}' slurmctld)"

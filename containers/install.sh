#!/usr/bin/env bash
# Build step shared by containers/Dockerfile and containers/snpgen.def (so both images hold the
# same software): run inside a Debian 12 base image, as root, with the snpgen sources copied to
# /opt/snpgen-src (requirements.txt, pyproject.toml, workflow/snpgen, containers/).
#   * Debian's python3 (3.11), plink2 (v2.00a3.5) and plink1.9 (v1.90b6.26): the builds the
#     test suite runs with;
#   * a venv in /opt/snpgen with requirements.txt minus what only the test suite or the
#     Snakemake process on the login node needs (EXCLUDED below); snakemake itself stays,
#     because a `script:` rule's preamble imports snakemake inside the job;
#   * the snpgen package (workflow/snpgen) itself.
# TORCH_SPEC (default: the torch pin of requirements.txt) is installed first; the PyPI build of
# that version carries its own CUDA libraries, so the image runs on GPU nodes (apptainer --nv).
set -euo pipefail
SRC=/opt/snpgen-src
VENV=/opt/snpgen
EXCLUDED='pytest|playwright|snakemake-executor-plugin-slurm'
APT_PACKAGES="python3 python3-venv plink2 plink1.9 bash procps ca-certificates"

export DEBIAN_FRONTEND=noninteractive
apt-get update
# shellcheck disable=SC2086
apt-get install -y --no-install-recommends $APT_PACKAGES
rm -rf /var/lib/apt/lists/*

python3 -m venv "$VENV"
"$VENV/bin/pip" install --no-cache-dir --upgrade pip
grep -vE "^(${EXCLUDED})==" "$SRC/requirements.txt" > /tmp/snpgen-requirements.txt
TORCH_SPEC=${TORCH_SPEC:-$(grep -E '^torch==' "$SRC/requirements.txt")}
"$VENV/bin/pip" install --no-cache-dir "$TORCH_SPEC"
"$VENV/bin/pip" install --no-cache-dir -r /tmp/snpgen-requirements.txt
"$VENV/bin/pip" install --no-cache-dir --no-deps "$SRC"
rm -f /tmp/snpgen-requirements.txt
# smoke test: every tool and library a rule uses
plink2 --version
plink1.9 --version | head -1
"$VENV/bin/python" -c "import torch, polars, numpy, scipy, sklearn, matplotlib, jinja2, yaml, msprime, tskit, bed_reader, snakemake, snpgen; print('snpgen image ok, torch', torch.__version__)"

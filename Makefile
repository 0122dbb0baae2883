# snpgen: the two quick-start commands are `make demo` and `make test` (see README.md).
SHELL := /bin/bash
VENV ?= .venv
CORES ?= 2
SNAKEMAKE := $(VENV)/bin/snakemake

.PHONY: setup setup-test demo test test-fast lint clean

setup:                     ## the Python venv; plink2/plink1.9 from PATH, apt only if missing and root (idempotent)
	bash scripts/setup.sh

setup-test: setup          ## + test-only Debian packages: SLURM (localhost test cluster), Chromium
	bash scripts/setup_test.sh

demo: setup                ## simulate the demo cohort and run the whole workflow on it
	$(SNAKEMAKE) --cores $(CORES) --profile profiles/local
	@echo
	@echo "Done. Per-disease reports: results/reports/index.html (QC: results/qc/qc_summary.json)"

test: setup-test           ## run every test (unit, real snakemake end-to-end, SLURM, browser)
	$(VENV)/bin/python -m pytest -ra

test-fast: setup           ## unit tests only (no end-to-end workflow runs)
	$(VENV)/bin/python -m pytest -ra -m "not e2e and not slurm and not browser"

lint:
	$(SNAKEMAKE) --lint

clean:
	rm -rf results .snakemake tests/output

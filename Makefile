# snpgen: the two quick-start commands are `make demo` and `make test` (see README.md).
SHELL := /bin/bash
VENV ?= .venv
CORES ?= 2
SNAKEMAKE := $(VENV)/bin/snakemake

.PHONY: setup demo test test-fast lint clean

setup:                     ## install Debian packages + the Python venv (idempotent)
	bash scripts/setup.sh

demo: setup                ## simulate the demo cohort and run the whole workflow on it
	$(SNAKEMAKE) --cores $(CORES) --profile profiles/local
	@echo
	@echo "Done. Per-disease reports: results/reports/index.html (QC: results/qc/qc_summary.json)"

test: setup                ## run every test (unit, real snakemake end-to-end, SLURM, browser)
	$(VENV)/bin/python -m pytest -ra

test-fast: setup           ## unit tests only (no end-to-end workflow runs)
	$(VENV)/bin/python -m pytest -ra -m "not e2e and not slurm and not browser"

lint:
	$(SNAKEMAKE) --lint

clean:
	rm -rf results .snakemake tests/output

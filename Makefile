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

# Two pytest workers: the SLURM tests spend most of their time waiting for the plugin's status
# polls, the browser and the end-to-end runs on subprocesses; the SLURM tests stay on one worker
# (one test cluster; --dist loadfile keeps a test file on one worker: loadgroup does not group
# under pytest 9.2 + xdist 3.8.0) and the tiny workflow run is shared (tests/conftest.py).
TEST_WORKERS ?= 2

test: setup-test           ## run every test (unit, real snakemake end-to-end, SLURM, browser)
	$(VENV)/bin/python -m pytest -ra -n $(TEST_WORKERS) --dist loadfile --durations=15

# OpenMP/BLAS pools of one thread in the fast loop: on a busy 2-core machine the default pools
# spin against each other (a 2 s scikit-learn test took 2 min, the whole loop 4x its CPU time).
TEST_FAST_THREADS ?= 1

test-fast: setup           ## unit tests, snakemake --lint, dry runs and the bad-input checks (no workflow runs; about 2 min)
	OMP_NUM_THREADS=$(TEST_FAST_THREADS) $(VENV)/bin/python -m pytest -ra -m "not e2e and not slurm and not browser"

lint:
	$(SNAKEMAKE) --lint

clean:
	rm -rf results .snakemake tests/output

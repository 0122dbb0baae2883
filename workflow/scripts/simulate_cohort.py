"""Snakemake adapter: simulate the embedded demo cohort (snpgen.simulate)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # noqa: F821
import yaml  # noqa: E402

from snpgen.logs import step_logging  # noqa: E402
from snpgen.simulate import simulate_cohort  # noqa: E402

sm = snakemake  # noqa: F821
with step_logging(sm.log[0], "simulate_cohort") as log:
    params = yaml.safe_load(Path(sm.input.params).read_text())
    prefix = sm.output.bed[: -len(".bed")]
    counts = simulate_cohort(params, prefix, sm.output.phenotypes, sm.output.truth, seed=sm.params.seed,
                             threads=sm.threads)
    log.info("simulated %s", counts)

"""Snakemake adapter: simulate the embedded demo cohort (snpgen.simulate).

Under a main guard: the simulation's worker processes (one chromosome each) start by spawning,
which runs this file again as ``__mp_main__``, where no ``snakemake`` object exists."""
import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # noqa: F821
    import yaml

    from snpgen.logs import step_logging
    from snpgen.simulate import simulate_cohort

    sm = snakemake  # noqa: F821
    with step_logging(sm.log[0], "simulate_cohort") as log:
        params = yaml.safe_load(Path(sm.input.params).read_text())
        prefix = sm.output.bed[: -len(".bed")]
        counts = simulate_cohort(params, prefix, sm.output.phenotypes, sm.output.truth, seed=sm.params.seed,
                                 threads=sm.threads)
        log.info("simulated %s", counts)

"""Snakemake adapter: the leaky calibration reference of the privacy attacks (snpgen.baseline.sample_leaky_files)."""
import sys, pathlib; sys.path.insert(0, str(pathlib.Path(snakemake.scriptdir).parent))  # noqa: E401,E702,F821

from snpgen.baseline import sample_leaky_files  # noqa: E402
from snpgen.logs import step_logging  # noqa: E402

sm = snakemake  # noqa: F821
with step_logging(sm.log[0], "sample_leaky") as log:
    sample_leaky_files(
        train_bed=sm.input.train,
        out_bed=sm.output.bed, out_bim=sm.output.bim, out_fam=sm.output.fam, out_pheno=sm.output.pheno,
        n=sm.params.n, share=float(sm.params.share), seed=int(sm.params.seed), log=log.info,
    )

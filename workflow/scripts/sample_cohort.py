"""Snakemake adapter: generate a synthetic PLINK cohort (snpgen.sample.sample_cohort_files)."""
import sys, pathlib; sys.path.insert(0, str(pathlib.Path(snakemake.scriptdir).parent))  # noqa: E401,E702,F821

from snpgen.logs import step_logging  # noqa: E402
from snpgen.sample import sample_cohort_files  # noqa: E402

sm = snakemake  # noqa: F821
with step_logging(sm.log[0], "sample_cohort") as log:
    sample_cohort_files(
        vae_ckpt=sm.input.vae, diffusion_ckpt=sm.input.diffusion, bim_path=sm.input.bim,
        train_bed=sm.input.train, readout=sm.input.readout,
        out_bed=sm.output.bed, out_bim=sm.output.bim, out_fam=sm.output.fam, out_pheno=sm.output.pheno,
        n=sm.params.n, case_fraction=sm.params.case_fraction, mode=sm.params.mode,
        sampling=dict(sm.params.sampling or {}), seed=int(sm.params.seed), device=sm.params.device,
        threads=sm.threads, log=log.info,
    )

"""Snakemake adapter: train the genotype VAE (snpgen.models.train.train_vae_files)."""
import sys, pathlib; sys.path.insert(0, str(pathlib.Path(snakemake.scriptdir).parent))  # noqa: E401,E702,F821

from snpgen.logs import step_logging  # noqa: E402
from snpgen.models.train import train_vae_files  # noqa: E402

sm = snakemake  # noqa: F821
with step_logging(sm.log[0], "train_vae") as log:
    train_vae_files(
        train_bed=sm.input.train, val_bed=sm.input.val,
        ckpt=sm.output.ckpt, history_tsv=sm.output.history, curve_png=sm.output.curve,
        params=dict(sm.params.vae), seed=int(sm.params.seed), config_hash=str(sm.params.config_hash),
        device=sm.params.device, threads=sm.threads, log=log.info, clusters=dict(sm.params.clusters),
    )

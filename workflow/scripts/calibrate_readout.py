"""Snakemake adapter: the model's read-out temperature and lag gain (snpgen.sample.calibrate_readout_files)."""
import sys, pathlib; sys.path.insert(0, str(pathlib.Path(snakemake.scriptdir).parent))  # noqa: E401,E702,F821

from snpgen.logs import step_logging  # noqa: E402
from snpgen.sample import calibrate_readout_files  # noqa: E402

sm = snakemake  # noqa: F821
with step_logging(sm.log[0], "calibrate_readout") as log:
    calibrate_readout_files(
        vae_ckpt=sm.input.vae, diffusion_ckpt=sm.input.diffusion, train_bed=sm.input.train,
        out_json=sm.output.readout, sampling=dict(sm.params.sampling or {}), seed=int(sm.params.seed),
        device=sm.params.device, ld_window=int(sm.params.ld_window), hwe_p=float(sm.params.hwe_p),
        threads=sm.threads, log=log.info,
    )

"""Snakemake adapter: plink2 --glm on the training split (snpgen.gwas)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # noqa: F821
from snpgen import io  # noqa: E402
from snpgen.gwas import expand_covariates, gwas_summary, read_glm, run_gwas  # noqa: E402
from snpgen.logs import step_logging  # noqa: E402

sm = snakemake  # noqa: F821
with step_logging(sm.log[0], f"gwas[{sm.wildcards.disease}]") as log:
    covariates = expand_covariates(sm.params.covariates, sm.input.covariates)
    log.info("covariates: %s", ", ".join(covariates) or "none")
    path = run_gwas(sm.input.bed[: -len(".bed")], sm.input.train, sm.input.pheno, sm.input.covariates,
                    covariates, sm.params.firth, sm.output.glm, threads=sm.threads,
                    memory_mb=sm.resources.mem_mb)
    summary = gwas_summary(read_glm(path))
    io.write_json(sm.output.summary, summary)
    log.info("GWAS: %d variants, lambda_GC %.3f, %d with p < 5e-8", summary["variants_tested"],
             summary["lambda_gc"], summary["n_genome_wide_significant"])

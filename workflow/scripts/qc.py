"""Snakemake adapter: plink2 QC chain (snpgen.qc)."""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # noqa: F821
from snpgen import io  # noqa: E402
from snpgen.logs import step_logging  # noqa: E402
from snpgen.phenotypes import encode_covariates, load_phenotypes  # noqa: E402
from snpgen.qc import run_qc  # noqa: E402

sm = snakemake  # noqa: F821
with step_logging(sm.log[0], "qc") as log:
    cohort = sm.params.cohort
    bfile = sm.input.bed[: -len(".bed")]
    phen = load_phenotypes(sm.input.phenotypes, cohort, fam=io.read_fam(bfile))
    covariates, names = encode_covariates(phen, cohort, sm.input.phenotypes)
    summary = run_qc(bfile, covariates, names, sm.params.qc, sm.output.bed[: -len(".bed")],
                     sm.output.eigenvec, sm.output.covariates, sm.output.summary,
                     threads=sm.threads, memory_mb=sm.resources.mem_mb, n_snps=sm.params.n_snps)
    if sm.input.imported:  # the import's counts (multi-allelic variants dropped) join the QC summary
        summary["import"] = json.loads(Path(sm.input.imported[0]).read_text())
        io.write_json(sm.output.summary, summary)
    for step in summary["steps"]:
        log.info("%-18s removed %d individuals, %d variants", step["step"], step["individuals_removed"],
                 step["variants_removed"])
    for c in summary["covariates_dropped"]:
        log.warning("covariate %s left out of the GWAS: fewer than two distinct known values", c)
    for w in summary["warnings"]:
        log.warning("%s", w["message"])
    log.info("after QC: %d individuals, %d variants", summary["output"]["individuals"], summary["output"]["variants"])

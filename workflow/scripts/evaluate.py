import sys, pathlib; sys.path.insert(0, str(pathlib.Path(snakemake.scriptdir).parent))  # noqa: E401,E702,F821
# Snakemake script for rules `evaluate` (one disease x generator), `utility_reference` and `prs` (one disease each).
# Thin wrapper: all logic is in snpgen.evaluate. Writes aggregate-only JSON (docs/metrics.md).
import shutil  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

from threadpoolctl import threadpool_limits  # noqa: E402

from snpgen.evaluate import evaluate_generator, evaluate_prs, utility_reference  # noqa: E402
from snpgen.io import write_json  # noqa: E402
from snpgen.logs import step_logging  # noqa: E402

smk = snakemake  # noqa: F821


def prefix(path: str) -> str:
    p = str(path)
    for suf in (".bed", ".bim", ".fam"):
        if p.endswith(suf):
            return p[: -len(suf)]
    return p


def fit_references(log) -> None:
    """Rule utility_reference: no plink, so no temporary folder."""
    with threadpool_limits(limits=int(smk.threads)):
        utility_reference(train=prefix(smk.input.train_bed), test=prefix(smk.input.test_bed),
                          baseline=prefix(smk.input.baseline[0]), out=smk.output.fits,
                          params=smk.params.evaluate, seed=int(smk.params.seed))
    log.info("wrote %s", smk.output.fits)


def main(log) -> None:
    threads = int(smk.threads)
    mem = int(smk.resources.get("mem_mb", 0) or 0) or None
    out_json = Path(smk.output.json)
    tmp_root = smk.resources.get("tmpdir") if hasattr(smk.resources, "get") else None
    work = Path(tempfile.mkdtemp(prefix=f".eval_{smk.rule}_", dir=tmp_root or out_json.parent))
    try:
        with threadpool_limits(limits=threads):
            if smk.rule == "prs":
                res = evaluate_prs(
                    cohort=prefix(smk.input.cohort_bed), gwas=smk.input.gwas,
                    train_ids=smk.input.train_ids, val_ids=smk.input.val_ids, test_ids=smk.input.test_ids,
                    pheno=smk.input.pheno, covariates=smk.input.covariates, workdir=work,
                    params=smk.params.evaluate, seed=int(smk.params.seed), disease=smk.wildcards.disease,
                    threads=threads, memory_mb=mem)
            else:
                res = evaluate_generator(
                    train=prefix(smk.input.train_bed), test=prefix(smk.input.test_bed),
                    synthetic=prefix(smk.input.syn_bed), real_gwas=smk.input.gwas,
                    baseline=prefix(smk.input.baseline[0]) if smk.input.baseline else None,
                    figdir=smk.output.figures, workdir=work, params=smk.params.evaluate,
                    thresholds=smk.params.verdict, seed=int(smk.params.seed),
                    truth_json=(smk.input.truth or None), disease=smk.wildcards.disease, generator=smk.wildcards.gen,
                    threads=threads, memory_mb=mem, privacy_only=bool(smk.params.privacy_only),
                    reference_fits=smk.input.reference_fits or None,
                    synthetic_is_reference=bool(smk.params.synthetic_is_reference), log=log.info)
                log.info("verdict: %s (failed: %s)", res["verdict"]["decision"], res["verdict"]["failed_checks"])
        write_json(out_json, res)
        log.info("wrote %s", out_json)
    finally:
        shutil.rmtree(work, ignore_errors=True)


name = f"{smk.rule}[{smk.wildcards.disease}{'/' + smk.wildcards.gen if smk.rule == 'evaluate' else ''}]"
with step_logging(smk.log[0], name) as logger:
    (fit_references if smk.rule == "utility_reference" else main)(logger)

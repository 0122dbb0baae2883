"""Snakemake adapter: per-disease stratified train/val/test split (snpgen.split)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # noqa: F821
import polars as pl  # noqa: E402

from snpgen import io  # noqa: E402
from snpgen.logs import step_logging  # noqa: E402
from snpgen.phenotypes import load_phenotypes  # noqa: E402
from snpgen.split import disease_status, split_samples, split_summary  # noqa: E402

sm = snakemake  # noqa: F821
with step_logging(sm.log[0], f"split_samples[{sm.wildcards.disease}]") as log:
    d, cohort = sm.params.disease, sm.params.cohort
    fam = io.read_fam(sm.input.fam[: -len(".fam")])
    phen = load_phenotypes(sm.input.phenotypes, cohort, fam=fam)
    status = disease_status(phen, d["phenotype_column"], d["case_code"], d["control_code"], d["missing_codes"],
                            source=str(sm.input.phenotypes))
    status = status.join(fam.select("FID", "IID"), on=["FID", "IID"], how="semi")  # QC-passed only
    splits = split_samples(status, sm.params.fractions, sm.params.seed, sm.params.min_cases, sm.wildcards.disease,
                           min_count=sm.params.min_count)
    for name, df in splits.items():
        io.write_ids(getattr(sm.output, name), df)
    pheno = pl.concat(splits.values()).select("FID", "IID", (pl.col("case") + 1).alias("PHENO")).sort("FID", "IID")
    io.write_tsv(sm.output.pheno, pheno)
    summary = split_summary(splits)
    io.write_json(sm.output.summary, summary)
    for name, s in summary.items():
        log.info("%s: %d individuals (%d cases)", name, s["individuals"], s["cases"])

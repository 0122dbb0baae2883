"""Snakemake adapter: input checks before any heavy work (snpgen.validate)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # noqa: F821
from snpgen import io  # noqa: E402
from snpgen.logs import step_logging  # noqa: E402
from snpgen.sources import GenotypeSource  # noqa: E402
from snpgen.validate import validate_inputs  # noqa: E402

sm = snakemake  # noqa: F821
with step_logging(sm.log[0], "validate_inputs") as log:
    report = validate_inputs(GenotypeSource.from_dict(sm.params.source), sm.input.phenotypes, sm.params.cohort,
                             sm.params.covariates, sm.params.diseases, sm.params.split, min_count=sm.params.min_count)
    io.write_json(sm.output[0], report)
    fs = report["fileset"]
    log.info("inputs ok: %s, %d part(s), %d individuals, %s", fs["format"], fs["parts"], fs["individuals"],
             "variants counted on import" if fs["variants"] is None else f"{fs['variants']} variants")

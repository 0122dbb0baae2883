"""Snakemake adapter: plink2 converts the configured genotypes into a PLINK 1 fileset (snpgen.importer)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # noqa: F821
from snpgen import io  # noqa: E402
from snpgen.importer import import_genotypes  # noqa: E402
from snpgen.logs import step_logging  # noqa: E402
from snpgen.sources import GenotypeSource  # noqa: E402

sm = snakemake  # noqa: F821
with step_logging(sm.log[0], "import_genotypes") as log:
    counts = import_genotypes(GenotypeSource.from_dict(sm.params.source), sm.params.cohort, sm.output.bed[: -len(".bed")], threads=sm.threads,
                              memory_mb=sm.resources.mem_mb)
    io.write_json(sm.output.summary, counts)
    log.info("imported %s (%d part(s)): %d individuals, %d variants, %d multi-allelic variants dropped",
             counts["format"], counts["parts"], counts["individuals"], counts["variants"],
             counts["multiallelic_dropped"])

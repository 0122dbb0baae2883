"""Snakemake adapter: GWAS-guided, LD-aware selection of the top K SNPs (snpgen.select)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # noqa: F821
from snpgen import io  # noqa: E402
from snpgen.logs import step_logging  # noqa: E402
from snpgen.select import run_selection  # noqa: E402

sm = snakemake  # noqa: F821
with step_logging(sm.log[0], f"select_snps[{sm.wildcards.disease}]") as log:
    sel = sm.params.selection
    keeps = {s: Path(getattr(sm.input, s)) for s in ("train", "val", "test")}
    summary = run_selection(sm.input.bed[: -len(".bed")], sm.input.glm, keeps, sm.input.pheno, sm.params.k,
                            sel["method"], sel["clump_r2"], sel["clump_kb"], Path(sm.output.snps).parent,
                            sm.input.truth or None, sm.wildcards.disease, threads=sm.threads)
    io.write_json(sm.output.summary, summary)
    log.info("selected %d of %d candidate SNPs (%s)", summary["n_selected"], summary["n_candidates"], summary["method"])
    if summary.get("causal_recall"):
        log.info("causal SNPs selected: %s", summary["causal_recall"])

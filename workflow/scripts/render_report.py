"""Snakemake adapter: the self-contained HTML report of one disease (snpgen.report.render)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # noqa: F821

from snpgen.logs import step_logging  # noqa: E402
from snpgen.plink import tool_versions  # noqa: E402
from snpgen.provenance import run_provenance  # noqa: E402
from snpgen.report.render import render_disease_report  # noqa: E402

sm = snakemake  # noqa: F821
with step_logging(sm.log[0], f"render_report[{sm.wildcards.disease}]") as log:
    prov = run_provenance(config_hash=sm.params.config_hash, seeds=sm.params.seeds, tools=tool_versions(),
                          repo_dir=Path(sm.scriptdir).parent.parent)
    summary = render_disease_report(dict(sm.input.items()), sm.wildcards.disease, sm.output.html, sm.output.figures,
                                    generators=sm.params.generators, provenance=prov,
                                    verdict_json=sm.output.verdict, demo=sm.params.demo,
                                    sampling=dict(sm.params.sampling), min_count=sm.params.min_count)
    for gen, v in summary["generators"].items():
        log.info("%s: %s", gen, v["decision"])
    if summary["gaps"]:
        # loud, not fatal: the page itself lists the gaps in a banner
        log.warning("report incomplete, %d input(s) not available: %s", summary["n_gaps"], "; ".join(summary["gaps"]))
    log.info("wrote %s", sm.output.html)

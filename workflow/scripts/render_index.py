"""Snakemake adapter: results/reports/index.html linking the per-disease reports with their verdicts."""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # noqa: F821

from snpgen.logs import step_logging  # noqa: E402
from snpgen.plink import tool_versions  # noqa: E402
from snpgen.provenance import run_provenance  # noqa: E402
from snpgen.report.render import render_index  # noqa: E402

sm = snakemake  # noqa: F821
with step_logging(sm.log[0], "render_index") as log:
    out_dir = Path(sm.output.index).parent
    entries = []
    for verdict_path, page in zip(sm.input.verdicts, sm.input.pages):
        entry = json.loads(Path(verdict_path).read_text())
        page = Path(page)
        entry["href"] = page.name if page.parent.resolve() == out_dir.resolve() else str(page)
        entries.append(entry)
    prov = run_provenance(config_hash=sm.params.config_hash, seeds=None, tools=tool_versions(),
                          repo_dir=Path(sm.scriptdir).parent.parent)
    render_index(entries, sm.output.index, provenance=prov, min_count=sm.params.min_count)
    log.info("wrote %s (%d diseases)", sm.output.index, len(entries))

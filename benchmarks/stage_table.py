#!/usr/bin/env python
"""Stage timing and peak memory of a finished run, from Snakemake's benchmark: files.

    .venv/bin/python benchmarks/stage_table.py [RESULTS_DIR]      (default: results)

Prints one row per rule (summed over diseases / modes, with the per-job maximum peak RSS),
and the share of plink2/plink1.9's own CPU time in the plink-driven rules, read from the
"Start time"/"End time" lines of the plink logs the rules keep.
"""
from __future__ import annotations

import re
import sys
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import polars as pl


def read_benchmarks(results: Path) -> pl.DataFrame:
    rows = []
    for path in sorted((results / "benchmarks").rglob("*.tsv")):
        df = pl.read_csv(path, separator="\t", null_values=["-", "NA"])
        rule = path.stem.split(".")[0]
        rows.append({"rule": rule, "job": str(path.relative_to(results / "benchmarks").with_suffix("")),
                     "wall_s": float(df["s"][-1]), "max_rss_mb": float(df["max_rss"][-1] or 0),
                     "cpu_s": float(df["cpu_time"][-1] or 0)})
    return pl.DataFrame(rows)


def plink_seconds(log: Path) -> float:
    """Wall seconds of one plink run from its log's Start/End time lines."""
    text = log.read_text(errors="replace")
    stamps = re.findall(r"(?:Start|End) time: (.+)", text)
    if len(stamps) < 2:
        return 0.0
    fmt = "%a %b %d %H:%M:%S %Y"
    return (datetime.strptime(stamps[-1].strip(), fmt) - datetime.strptime(stamps[0].strip(), fmt)).total_seconds()


def main(results: Path) -> None:
    bench = read_benchmarks(results)
    if bench.is_empty():
        sys.exit(f"no benchmark files under {results}/benchmarks: run the workflow first")
    per_rule = (bench.group_by("rule").agg(pl.len().alias("jobs"), pl.col("wall_s").sum(),
                                           pl.col("cpu_s").sum(), pl.col("max_rss_mb").max())
                .sort("wall_s", descending=True))
    total = per_rule["wall_s"].sum()
    print(f"Stage timing and peak memory: {results}")
    print("| rule | jobs | wall s (sum) | share | CPU s | peak RSS MB (max job) |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in per_rule.iter_rows(named=True):
        print(f"| {r['rule']} | {r['jobs']} | {r['wall_s']:.1f} | {100 * r['wall_s'] / total:.0f} % | "
              f"{r['cpu_s']:.1f} | {r['max_rss_mb']:.0f} |")
    print(f"| **total** | {bench.height} | {total:.1f} | 100 % | {bench['cpu_s'].sum():.1f} | |")

    # plink's own time inside the plink-driven rules (whole-second resolution of plink's logs)
    own = defaultdict(float)
    for log in results.rglob("*.log"):
        if "logs" in log.parts:
            continue
        text = log.read_text(errors="replace")[:200]
        if "PLINK v" not in text:
            continue
        rel = log.relative_to(results).parts
        rule = {"qc": "qc", "gwas": "gwas"}.get(rel[0] if rel[0] == "qc" else rel[1] if len(rel) > 1 else "", None)
        if rule:
            own[rule] += plink_seconds(log)
    if own:
        print("\nplink's own time in the plink-driven rules (target: the wrapper adds <= 10 %)")
        print("| rule | rule wall s | plink s | wrapper overhead |")
        print("|---|---:|---:|---:|")
        for rule, secs in sorted(own.items()):
            wall = float(per_rule.filter(pl.col("rule") == rule)["wall_s"].sum())
            print(f"| {rule} | {wall:.1f} | {secs:.0f} | {100 * (wall - secs) / wall:.0f} % |")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "results"))

#!/usr/bin/env python
"""Cost of plink2's KING relatedness (the QC's `relatedness` step) with cohort size.

    .venv/bin/python benchmarks/king_scaling.py [--sizes 2000,5000,10000,20000] [--snps 30000]
        [--threads 1] [--table-max 10000] [--extrapolate 50000] [--out benchmarks/output/king]

Input (setup, untimed, cached under --out): `plink2 --dummy n snps 0.01 acgt`, independent random
genotypes with 1 % missing calls (KING's cost depends on the numbers of people and SNPs, not on
LD, so a dummy fileset of the pruned SNP count stands in for a pruned real cohort). Timed:

  king_cutoff   plink2 --bfile X --king-cutoff 0.177          (what snpgen.qc runs)
  king_table    plink2 --bfile X --make-king-table --king-table-filter 0.0442
                (all pairs computed, only close pairs written: the unfiltered .kin0 of 50k people
                would hold 1.25e9 lines; sizes up to --table-max)

CPU seconds (user + sys of the plink2 child, getrusage), wall seconds and peak RSS per run; the
log-log slope of CPU time over the sizes, and the CPU time extrapolated to --extrapolate people.
Prints a Markdown table for benchmarks/README.md.
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import time
from pathlib import Path

import numpy as np

COMMANDS = {
    "king_cutoff": ["--king-cutoff", "0.177"],
    "king_table": ["--make-king-table", "--king-table-filter", "0.0442"],
}


def dummy_cohort(out: Path, n: int, snps: int) -> Path:
    prefix = out / f"dummy_{n}_{snps}"
    if not Path(f"{prefix}.bed").exists():
        subprocess.run(["plink2", "--dummy", str(n), str(snps), "0.01", "acgt", "--make-bed",
                        "--threads", "2", "--out", str(prefix)], check=True, capture_output=True)
    return prefix


def timed_plink(prefix: Path, flags: list[str], threads: int, out: Path) -> dict:
    """One plink2 run in a child process: CPU seconds, wall seconds, peak RSS (MiB)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(["plink2", "--bfile", str(prefix), *flags, "--threads", str(threads),
                             "--out", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if status != 0:
        raise RuntimeError(f"plink2 {' '.join(flags)} failed on {prefix}: see {out}.log")
    cpu = usage.ru_utime + usage.ru_stime
    return {"cpu_s": cpu, "wall_s": wall, "peak_mib": usage.ru_maxrss / 1024}


def slope(ns: list[int], secs: list[float]) -> float:
    return float(np.polyfit(np.log(ns), np.log(secs), 1)[0])


def extrapolate(ns: list[int], secs: list[float], n: int) -> float:
    """CPU seconds at n from the log-log fit of the two largest sizes (the asymptotic regime)."""
    b = slope(ns[-2:], secs[-2:])
    return secs[-1] * (n / ns[-1]) ** b


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="2000,5000,10000,20000")
    ap.add_argument("--snps", type=int, default=30000)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--table-max", type=int, default=10000)
    ap.add_argument("--extrapolate", type=int, default=50000)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/output/king"))
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"date {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC; {platform.node()}, "
          f"{os.cpu_count()} CPUs, plink2 --threads {args.threads}, {args.snps} SNPs; "
          f"load average at start {os.getloadavg()[1]:.1f}")
    print("| command | people | CPU s | wall s | peak RSS MiB |\n|---|---|---|---|---|")
    fits = {}
    for name, flags in COMMANDS.items():
        ns, cpus = [], []
        for n in sizes:
            if name == "king_table" and n > args.table_max:
                continue
            prefix = dummy_cohort(args.out, n, args.snps)
            r = timed_plink(prefix, flags, args.threads, args.out / f"{name}_{n}")
            print(f"| {name} | {n:,} | {r['cpu_s']:.1f} | {r['wall_s']:.1f} | {r['peak_mib']:.0f} |", flush=True)
            ns.append(n)
            cpus.append(r["cpu_s"])
        fits[name] = (slope(ns, cpus), extrapolate(ns, cpus, args.extrapolate))
    for name, (b, at) in fits.items():
        print(f"{name}: log-log slope {b:.2f}; extrapolated CPU at {args.extrapolate:,} people: "
              f"{at:.0f} s ({at / 60:.1f} min)")


if __name__ == "__main__":
    main()

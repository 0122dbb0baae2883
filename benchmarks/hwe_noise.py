"""How much the share of SNPs failing HWE moves between two samples of the same real people.

Splits a real fileset (e.g. a disease's training split, ``results/cad/selection/train``) into two
random disjoint halves, ``--reps`` times, and runs ``plink2 --hardy`` on each half: the mean and
SD of the failure share at p < ``--p`` and the difference between the halves. This is the noise a
"synthetic share <= real share + margin" check sits in (issue 18).

    .venv/bin/python benchmarks/hwe_noise.py results/cad/selection/train --reps 8
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow"))
from snpgen.plink import plink2_exe  # noqa: E402


def failure_share(bfile: str, keep: list[tuple[str, str]], p: float, work: Path) -> float:
    """Share of SNPs with HWE exact-test p < ``p`` among the people in ``keep``."""
    (work / "keep.txt").write_text("".join(f"{f}\t{i}\n" for f, i in keep))
    subprocess.run([plink2_exe(), "--bfile", bfile, "--keep", work / "keep.txt", "--hardy", "--threads", "1",
                    "--out", work / "half"], capture_output=True, check=True)
    return float((pl.read_csv(work / "half.hardy", separator="\t")["P"].to_numpy() < p).mean())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("bfile")
    ap.add_argument("--reps", type=int, default=8)
    ap.add_argument("--p", type=float, default=1e-6)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    ids = [tuple(line.split()[:2]) for line in open(f"{a.bfile}.fam")]
    rng, shares, diffs = np.random.default_rng(a.seed), [], []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(a.reps):
            perm, h = rng.permutation(len(ids)), len(ids) // 2
            pair = [failure_share(a.bfile, [ids[i] for i in part], a.p, Path(tmp))
                    for part in (perm[:h], perm[h:2 * h])]
            shares += pair
            diffs.append(pair[0] - pair[1])
    print(f"{a.bfile}: {a.reps} splits into halves of {len(ids) // 2}; HWE failure share (p < {a.p:g}) "
          f"mean {np.mean(shares):.4f}, SD {np.std(shares):.4f}; |half A - half B| mean "
          f"{np.mean(np.abs(diffs)):.4f}, max {np.max(np.abs(diffs)):.4f}")


if __name__ == "__main__":
    main()

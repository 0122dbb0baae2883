"""Time and peak memory of each privacy attack (snpgen.evaluate.attacks) at a given cohort size.

Random genotypes (independent SNPs, allele frequencies 0.05-0.5) and random labels, 1,024 SNPs on
2 chromosomes; training, held-out and synthetic sets of N people each (the synthetic set is other
random people, i.e. a safe generator). The attacks run on min(N, evaluate.attack_max_n) targets
per group and synthetic records, and on min(N, attack_replay_max_train) training records for
segment replay; ``--max-n`` sets that cap (default: the schema default, 5,000). Each size runs in
a fresh process so that peak RSS is per size.

    .venv/bin/python benchmarks/attacks.py --sizes 5000,50000
"""
from __future__ import annotations

import argparse
import json
import pathlib
import resource
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]


def one(n: int, L: int, max_n: int, replay_max_train: int, repeats: int = 5) -> dict:
    sys.path.insert(0, str(ROOT / "workflow"))
    import numpy as np

    from snpgen.evaluate import attacks

    rng = np.random.default_rng(0)
    p = rng.uniform(0.05, 0.5, L)
    T, H, S = (rng.binomial(2, p, (n, L)).astype(np.int8) for _ in range(3))
    yt, yh, ys = (rng.integers(0, 2, n).astype(np.int8) for _ in range(3))
    chrom = np.repeat(["1", "2"], L // 2)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    r = attacks.run_attacks(S, ys, T, yt, H, yh, chrom=chrom, seed=1, max_n=max_n,
                            replay_max_train=replay_max_train, crossfit_repeats=repeats)
    total = time.perf_counter() - t0
    return {"n": n, "snps": L, "targets_per_group": r["design"]["n_nonmembers"],
            "synthetic_used": r["design"]["n_synthetic"], "train_replay": r["design"]["n_train_replay_reference"],
            "seconds": r["seconds"], "total_s": round(total, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "data_rss_mb": round(rss0), "max_auc": round(r["max_auc"], 3)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="5000,50000")
    ap.add_argument("--snps", type=int, default=1024)
    ap.add_argument("--max-n", type=int, default=5000)
    ap.add_argument("--replay-max-train", type=int, default=20000)
    ap.add_argument("--repeats", type=int, default=5, help="evaluate.attack_crossfit_repeats")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.one:
        print(json.dumps(one(a.one, a.snps, a.max_n, a.replay_max_train, a.repeats)))
        return
    rows = []
    for n in (int(x) for x in a.sizes.split(",")):
        out = subprocess.run([sys.executable, __file__, "--one", str(n), "--snps", str(a.snps), "--max-n", str(a.max_n),
                              "--replay-max-train", str(a.replay_max_train), "--repeats", str(a.repeats)],
                             capture_output=True, text=True, check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    names = list(rows[0]["seconds"])
    print(f"Privacy attacks: {a.snps} SNPs, attack_max_n {a.max_n}, attack_replay_max_train {a.replay_max_train}, "
          f"attack_crossfit_repeats {a.repeats}")
    print("| people per set | targets per group | synthetic used | training for replay | "
          + " | ".join(f"{x} s" for x in names) + " | total s | peak RSS MB (data alone) | max AUC |")
    print("|" + "---:|" * (4 + len(names) + 3))
    for r in rows:
        print(f"| {r['n']:,} | {r['targets_per_group']:,} | {r['synthetic_used']:,} | {r['train_replay']:,} | "
              + " | ".join(f"{r['seconds'][x]:.1f}" for x in names)
              + f" | {r['total_s']:.1f} | {r['peak_rss_mb']:,} ({r['data_rss_mb']:,}) | {r['max_auc']:.3f} |")


if __name__ == "__main__":
    main()

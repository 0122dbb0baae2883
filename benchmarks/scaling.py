#!/usr/bin/env python
"""Scaling of the per-individual stages with cohort size: time, peak memory, log-log slope.

    .venv/bin/python benchmarks/scaling.py [--sizes 5000,20000,50000,100000,200000]
        [--train-sizes 5000,20000] [--snps 2048] [--allpairs-max 20000]
        [--out benchmarks/output/scaling] [--threads 2]

Input cohorts (setup, untimed, cached under --out/inputs): n individuals x --snps SNPs, each
haplotype a copying mosaic of 200 founder haplotypes (switch probability 0.02 per SNP, 0.1 %
mutations), the founders themselves mosaics of 8 ancestral haplotypes (switch 0.01, 1 %
mutations), so adjacent SNPs have mean r2 ~0.1, decaying over ~50 SNPs; 30 % cases by a
liability threshold on 20 causal SNPs; written with snpgen.io.write_bed. A VAE and a diffusion
model with the package's default architecture are trained for one epoch on 5,000 individuals
(setup, cached under --out/models).

Every (stage, n) runs in a fresh subprocess that reports the seconds of its timed section and
its peak RSS (getrusage ru_maxrss) next to the baseline RSS after imports, so that
(peak - baseline) / (n x SNPs int8 bytes) is the memory cost in units of the genotype matrix.

Stages
  read               snpgen.io.read_genotypes of the n x L input (bed-reader)
  vae_epoch          train_vae for one epoch (500 validation rows; --train-sizes only)
  diffusion_epoch    train_diffusion for one epoch: encoding n latents + a fixed 100 steps
  sample_write       snpgen.sample.generate n synthetic individuals + write_cohort (PLINK)
  privacy_distances  as the evaluate rule: impute_mode, identical matches, distance_privacy
                     (S = synthetic n/2, T and H = halves of the input; distance_privacy
                     subsamples to max_n = 5,000 per set, so it is capped by design)
  allpairs_nn        nearest_distances(S, X) over all n x n pairs, chunked (n <= --allpairs-max)

Targets (issue 9): log-log slope of time vs n <= 1.1 (all but allpairs_nn, which is quadratic
and must only keep its memory flat); sampling + writing 100k x 2,048 <= 30 s on 2 cores;
peak memory <= 3 x the int8 matrix; the non-training stages reach 200k individuals.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

N_ANCESTORS, N_FOUNDERS, SWITCH, MUTATION, N_CAUSAL, H2, CASES = 8, 200, 0.02, 0.001, 20, 0.5, 0.3
STAGES = ["read", "vae_epoch", "diffusion_epoch", "sample_write", "privacy_distances", "allpairs_nn"]
MB = 2**20


# --------------------------------------------------------------------------- setup (untimed)
def input_prefix(out: Path, n: int, L: int) -> Path:
    return out / "inputs" / f"n{n}_L{L}"


def mosaic(rng: np.random.Generator, source: np.ndarray, m: int, switch: float, mutation: float) -> np.ndarray:
    """m haplotypes, each copying rows of ``source`` and switching row with probability ``switch`` per SNP."""
    L = source.shape[1]
    cols = np.arange(L, dtype=np.int32)
    start = np.where(rng.random((m, L), dtype=np.float32) < switch, cols, 0)
    np.maximum.accumulate(start, axis=1, out=start)  # first SNP of the current copied segment
    pick = rng.integers(0, source.shape[0], (m, L), dtype=np.int16)
    hap = source[np.take_along_axis(pick, start, axis=1), cols]
    return hap ^ (rng.random((m, L), dtype=np.float32) < mutation).astype(np.int8)


def simulate_matrix(n: int, L: int, block: int = 5000) -> tuple[np.ndarray, np.ndarray]:
    """Founder-mosaic genotypes (int8 n x L) and liability-threshold case status (bool n)."""
    rng = np.random.default_rng(12345)  # founders and causal effects are shared by all sizes
    ancestors = (rng.random((N_ANCESTORS, L)) < rng.uniform(0.1, 0.9, L)).astype(np.int8)
    founders = mosaic(rng, ancestors, N_FOUNDERS, 0.01, 0.01)  # the founders carry the LD
    causal = np.sort(rng.choice(L, N_CAUSAL, replace=False))
    beta = rng.normal(0.0, 1.0, N_CAUSAL)
    rng = np.random.default_rng([12345, n])
    G = np.empty((n, L), dtype=np.int8)
    for s in range(0, n, block):
        b = min(block, n - s)
        G[s:s + b] = mosaic(rng, founders, b, SWITCH, MUTATION) + mosaic(rng, founders, b, SWITCH, MUTATION)
    score = G[:, causal].astype(np.float64) @ beta
    score = (score - score.mean()) / max(score.std(), 1e-9)
    liab = np.sqrt(H2) * score + np.sqrt(1 - H2) * rng.normal(size=n)
    return G, liab > np.quantile(liab, 1 - CASES)


def simulate_input(prefix: Path, n: int, L: int, block: int = 5000) -> None:
    """:func:`simulate_matrix`'s cohort written as PLINK."""
    import polars as pl

    from snpgen import io

    G, case = simulate_matrix(n, L, block)
    ids = [f"I{i:07d}" for i in range(1, n + 1)]
    fam = pl.DataFrame({"FID": ids, "IID": ids, "SEX": [0] * n, "PHENO": np.where(case, "2", "1").tolist()})
    bim = pl.DataFrame({"CHR": ["1"] * L, "ID": [f"snp{j + 1}" for j in range(L)], "CM": [0.0] * L,
                        "POS": [1000 * (j + 1) for j in range(L)], "A1": ["A"] * L, "A2": ["G"] * L})
    io.write_bed(prefix, G, fam, bim)


def labels(prefix: Path) -> np.ndarray:
    from snpgen import io

    return (io.read_fam(prefix)["PHENO"].to_numpy() == "2").astype(np.int8)


# --------------------------------------------------------------------------- workers (timed)
def _timed(fn, acc: dict, key: str, sync):
    def wrapper(*a, **kw):
        t0 = time.perf_counter()
        r = fn(*a, **kw)
        sync()
        acc[key] = acc.get(key, 0.0) + time.perf_counter() - t0
        return r
    return wrapper


def model_name(kind: str, L: int) -> str:
    """Setup-model file name, keyed on the package's model defaults so that a change of a default
    retrains the setup models instead of timing stale ones."""
    import hashlib

    from snpgen.models.diffusion import DIFFUSION_DEFAULTS
    from snpgen.models.vae import VAE_DEFAULTS

    key = hashlib.sha1(json.dumps([VAE_DEFAULTS, DIFFUSION_DEFAULTS], sort_keys=True).encode()).hexdigest()[:8]
    return f"{kind}_L{L}_{key}.pt"


def worker(stage: str, n: int, a: argparse.Namespace) -> dict:
    import torch

    import snpgen.models.train as tr
    from snpgen import io, sample
    from snpgen.evaluate import privacy
    from snpgen.models import pick_device

    torch.set_num_threads(a.threads)
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out, L, q = Path(a.out), a.snps, lambda s: None
    src = input_prefix(out, n, L)
    syn = out / "synthetic" / f"n{n}_L{L}"
    models = out / "models"
    detail: dict = {}
    if stage == "_setup_models":
        m = min(5000, n)
        X, y = io.read_genotypes(src)[:m], labels(src)[:m]
        v, _ = tr.train_vae(X[500:], y[500:], X[:500], y[:500], {"epochs": 1, "patience": 0}, seed=1, log=q)
        d, _ = tr.train_diffusion(v, X, y, {"epochs": 1, "check_samples": 0}, seed=2, log=q)
        models.mkdir(parents=True, exist_ok=True)
        torch.save(v, models / model_name("vae", L))
        torch.save(d, models / model_name("diffusion", L))
        return {}
    t0 = time.perf_counter()
    timed = None  # a stage that times itself sets this
    if stage == "read":
        # one untimed read (page cache), then the fastest of >= 3 reads (until 1 s is spent): the
        # small sizes take a few hundredths of a second, where one timing is mostly noise
        io.read_genotypes(src)
        times: list[float] = []
        while len(times) < 3 or (sum(times) < 1.0 and len(times) < 20):
            t1 = time.perf_counter()
            io.read_genotypes(src)
            times.append(time.perf_counter() - t1)
        timed = min(times)
        detail["reads timed"] = len(times)
    elif stage == "vae_epoch":
        X, y = io.read_genotypes(src), labels(src)
        t0 = time.perf_counter()
        _, hist = tr.train_vae(X[500:], y[500:], X[:500], y[:500], {"epochs": 1, "patience": 0}, seed=1,
                               device="auto", log=q)
        detail["epoch s (history)"] = hist[0]["seconds"]
    elif stage == "diffusion_epoch":
        vae = tr.load_checkpoint(models / model_name("vae", L), tr.VAE_KIND)
        X, y = io.read_genotypes(src), labels(src)
        t0 = time.perf_counter()
        _, hist = tr.train_diffusion(vae, X, y, {"epochs": 1, "check_samples": 0}, seed=2, device="auto", log=q)
        detail["100 steps s"] = hist[0]["seconds"]
        detail["encode etc. s"] = time.perf_counter() - t0 - hist[0]["seconds"]
    elif stage == "sample_write":
        import bed_reader

        dev = pick_device("auto")
        sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
        vae = tr.load_checkpoint(models / model_name("vae", L), tr.VAE_KIND)
        diff = tr.load_checkpoint(models / model_name("diffusion", L), tr.DIFFUSION_KIND)
        bim = io.read_bim(src)
        build_vae, build_diffusion, to_bed = tr.build_vae, tr.build_diffusion, bed_reader.to_bed

        def timed_vae(*args, **kw):  # generate() imports these at call time: time the parts
            model = build_vae(*args, **kw)
            model.decode = _timed(model.decode, detail, "decode s", sync)
            return model

        def timed_diffusion(*args, **kw):
            model, d = build_diffusion(*args, **kw)
            d.sample = _timed(d.sample, detail, "diffusion s", sync)
            return model, d

        tr.build_vae, tr.build_diffusion = timed_vae, timed_diffusion
        bed_reader.to_bed = _timed(to_bed, detail, "to_bed s", lambda: None)
        t0 = time.perf_counter()
        G, y = sample.generate(vae, diff, n, case_fraction=0.3, seed=1, device=dev)
        t1 = time.perf_counter()
        detail["hard calls etc. s"] = t1 - t0 - detail["decode s"] - detail["diffusion s"]
        sample.write_cohort(syn, G, y, bim)
        detail["write s"] = time.perf_counter() - t1
    elif stage == "privacy_distances":
        X = io.read_genotypes(src)
        T, H = X[: n // 2], X[n // 2:]
        S = io.read_genotypes(syn, sample_index=np.arange(n // 2))
        t0 = time.perf_counter()
        modes = privacy.column_modes(T)
        S, T, H = (privacy.impute_mode(x, modes) for x in (S, T, H))
        t1 = time.perf_counter()
        detail["identical matches"] = privacy.identical_match_count(S, T) + privacy.identical_match_count(H, T)
        t2 = time.perf_counter()
        privacy.distance_privacy(S, T, H, seed=0)
        detail.update({"impute s": t1 - t0, "identical s": t2 - t1, "distance_privacy s": time.perf_counter() - t2})
    elif stage == "allpairs_nn":
        X, S = io.read_genotypes(src), io.read_genotypes(syn)
        t0 = time.perf_counter()
        privacy.nearest_distances(S, X, metric="manhattan", chunk=2048)
    else:
        raise ValueError(f"unknown stage {stage}")
    seconds = timed if timed is not None else time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"seconds": seconds, "peak_kb": peak, "baseline_kb": baseline, "detail": detail}


# --------------------------------------------------------------------------- driver
def run_worker(stage: str, n: int, a: argparse.Namespace) -> dict:
    env = {**os.environ, **{k: str(a.threads) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                                        "MKL_NUM_THREADS", "POLARS_MAX_THREADS")}}
    cmd = [sys.executable, __file__, "--_worker", stage, str(n), "--snps", str(a.snps), "--out", str(a.out),
           "--threads", str(a.threads)]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    lines = [x for x in p.stdout.splitlines() if x.startswith("RESULT ")]
    if p.returncode or not lines:
        tail = (p.stderr or p.stdout).strip().splitlines()[-3:]
        print(f"  {stage} n={n} failed (exit {p.returncode}): {' | '.join(tail)}", file=sys.stderr)
        return {"error": f"exit {p.returncode}"}
    return json.loads(lines[-1][7:])


def slope(ns: list[int], ts: list[float]) -> float:
    return float(np.polyfit(np.log(ns), np.log(ts), 1)[0]) if len(ns) >= 2 else float("nan")


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def report(res: dict, meta: dict) -> None:
    L = meta["snps"]
    mat = lambda n: n * L / MB  # noqa: E731
    print(f"## Scaling: {L} SNPs, {meta['threads']} thread(s), {meta['cpus']} CPUs, CUDA {meta['cuda']}; 5-min load "
          f"average {meta['load_start']:.1f} at the start of the timed stages, {meta['load_end']:.1f} at the end\n")
    print("| stage | n | seconds | peak RSS MB | baseline MB | int8 matrix MB | peak / matrix "
          "| (peak - baseline) / matrix | detail |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for (st, n), r in sorted(res.items(), key=lambda kv: (STAGES.index(kv[0][0]), kv[0][1])):
        pk, bl = r["peak_kb"] / 1024, r["baseline_kb"] / 1024
        det = ", ".join(f"{k} {v:.1f}" if isinstance(v, float) else f"{k} {v}" for k, v in r["detail"].items())
        print(f"| {st} | {n} | {r['seconds']:.1f} | {pk:.0f} | {bl:.0f} | {mat(n):.0f} | {pk / mat(n):.1f} "
              f"| {(pk - bl) / mat(n):.2f} | {det} |")

    print("\n| stage | sizes | log-log slope | slope target | (peak - baseline) / matrix at largest n "
          "| marginal d(peak) / d(matrix) | memory target |")
    print("|---|---|---:|---|---:|---:|---|")
    for st in STAGES:
        ns = sorted(n for s, n in res if s == st)
        if not ns:
            continue
        b = slope(ns, [res[st, n]["seconds"] for n in ns])
        r = res[st, ns[-1]]
        ratio = (r["peak_kb"] - r["baseline_kb"]) / 1024 / mat(ns[-1])
        marg = ((r["peak_kb"] - res[st, ns[0]]["peak_kb"]) / 1024 / (mat(ns[-1]) - mat(ns[0]))
                if len(ns) > 1 else float("nan"))
        if st == "allpairs_nn":  # working set beyond the two int8 inputs (S, X) must not grow with n
            extra = [(res[st, n]["peak_kb"] - res[st, n]["baseline_kb"]) / 1024 - 2 * mat(n) for n in ns]
            s_txt = "expected ~2 (quadratic), none"
            m_txt = (f"flat: {verdict(extra[-1] <= 1.25 * extra[0] + 16)} (beyond the two inputs "
                     f"{extra[0]:.0f} MB at {ns[0]} -> {extra[-1]:.0f} MB at {ns[-1]})")
        else:
            s_txt = f"<= 1.1: {verdict(b <= 1.1) if len(ns) > 1 else 'n/a (one size)'}"
            m_txt = f"<= 3: {verdict(ratio <= 3)}"
        print(f"| {st} | {','.join(map(str, ns))} | {b:.2f} | {s_txt} | {ratio:.2f} | {marg:.2f} | {m_txt} |")
    if ("sample_write", 100000) in res:
        t = res["sample_write", 100000]["seconds"]
        print(f"\nsample + write 100,000 x {L}: {t:.1f} s with {meta['threads']} thread(s) (target <= 30 s on "
              f"2 cores): {verdict(t <= 30)}")
    big = [st for st in ("read", "sample_write", "privacy_distances") if any(s == st and n >= 200000 for s, n in res)]
    print(f"non-training stages measured at >= 200,000 individuals: {', '.join(big) or 'none'}: "
          f"{verdict(len(big) == 3)}")
    print("\nNotes: seconds = the timed call only (not interpreter start or reading inputs; `read` is the fastest of >= 3 reads after a warm-up read);"
          " peak RSS includes the inputs a stage holds; marginal = growth of peak RSS per MB of matrix between"
          " the smallest and largest n (fixed overheads cancel). diffusion_epoch is a fixed number of optimizer"
          " steps (steps_per_epoch = 100), so only its latent encoding grows with n. privacy_distances"
          " subsamples to max_n = 5,000 per set inside distance_privacy (capped by design, reached once"
          " n / 2 >= 5,000); its O(n) parts are the mode imputation and identical-match hashing; KING (plink2)"
          f" is not included. allpairs_nn is quadratic and run only up to n = {meta['allpairs_max']}. vae_epoch"
          " seconds include the validation pass (500 rows); models are 1-epoch setup models with the default"
          " architecture.")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ints = lambda s: [int(x) for x in s.split(",") if x]  # noqa: E731
    ap.add_argument("--sizes", type=ints, default=[5000, 20000, 50000, 100000, 200000])
    ap.add_argument("--train-sizes", type=ints, default=[5000, 20000])
    ap.add_argument("--snps", type=int, default=2048)
    ap.add_argument("--allpairs-max", type=int, default=20000)
    ap.add_argument("--out", default="benchmarks/output/scaling")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--stages", default=",".join(STAGES), help="comma-separated subset of the stages")
    ap.add_argument("--table-only", action="store_true", help="reprint the tables of the last run's results.json")
    ap.add_argument("--_worker", nargs=2, metavar=("STAGE", "N"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a._worker:
        print("RESULT " + json.dumps(worker(a._worker[0], int(a._worker[1]), a)), flush=True)
        return
    out, L = Path(a.out), a.snps
    if a.table_only:
        saved = json.loads((out / "results.json").read_text())
        res = {(k.split(":")[0], int(k.split(":")[1])): r for k, r in saved["results"].items()}
        report(res, saved["meta"])
        return
    sizes = sorted(set(a.sizes) | set(a.train_sizes))
    for n in sizes:
        prefix = input_prefix(out, n, L)
        if not all(Path(f"{prefix}{s}").exists() for s in (".bed", ".bim", ".fam")):
            t0 = time.perf_counter()
            simulate_input(prefix, n, L)
            print(f"setup: simulated {prefix} in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    if not (out / "models" / model_name("diffusion", L)).exists():
        run_worker("_setup_models", sizes[0], a)
    stages = [st for st in a.stages.split(",") if st]
    unknown = set(stages) - set(STAGES)
    if unknown:
        ap.error(f"unknown stages {sorted(unknown)} (known: {', '.join(STAGES)})")
    plan = [(st, n) for n in sizes for st in STAGES
            if st in stages and ((st in ("vae_epoch", "diffusion_epoch") and n in a.train_sizes)
                                 or (st in ("read", "sample_write", "privacy_distances") and n in a.sizes)
                                 or (st == "allpairs_nn" and n in a.sizes and n <= a.allpairs_max))]
    res: dict = {}
    load0 = os.getloadavg()[1]
    for st, n in plan:
        r = run_worker(st, n, a)
        if "error" not in r:
            res[st, n] = r
            print(f"  {st} n={n}: {r['seconds']:.1f}s", file=sys.stderr)
    cuda = subprocess.run([sys.executable, "-c", "import torch; print(torch.cuda.is_available())"],
                          capture_output=True, text=True).stdout.strip()
    meta = {"snps": L, "threads": a.threads, "cpus": os.cpu_count(), "cuda": cuda, "load_start": load0,
            "load_end": os.getloadavg()[1], "allpairs_max": a.allpairs_max}
    (out / "results.json").write_text(json.dumps(
        {"meta": meta, "results": {f"{s}:{n}": r for (s, n), r in res.items()}}, indent=1))
    report(res, meta)


if __name__ == "__main__":
    main()

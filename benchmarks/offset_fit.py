"""Genotype offsets fitted on the read-out's call probabilities (the product) against offsets fitted on
the counts of the calls (before session 19), each scored on fresh draws of one trained model.

For every fitting seed both fits use the same fitting people (``sampling.calibration_n`` x 3, as the
calibration) and are scored on the same ``--draws`` sets of ``calibration_n`` fresh synthetic people
at temperature 1 and the given lag gain: mean F, LD strength (over the real calibration people's)
and the share of SNPs failing HWE at ``evaluate.hwe_p``, beside the real calibration people and the
mean share of 4 bootstrap resamples of them (the level a faithful generator reaches).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/offset_fit.py results_admixed/cad --gain 1.2 \\
        --master-seed 20260404 --fit-seeds 1,2,3,4 --draws 4
"""
from __future__ import annotations

import argparse
import pathlib
import sys
from unittest import mock

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "workflow"))

import numpy as np  # noqa: E402
import yaml  # noqa: E402

from snpgen import calibration, io, readout  # noqa: E402
from snpgen.config import check_config  # noqa: E402
from snpgen.genotypes import bed_prefix  # noqa: E402
from snpgen.sample import _load_models, _sampling, _train_labels  # noqa: E402
from snpgen.stats import ld_windows, resampled_hwe_shares  # noqa: E402


_PROBABILITIES = readout.drawn_freqs


def counts_freqs(batches, offsets, k, temperature=1.0, ar_gain=1.0, pseudo=0.5):
    """readout.drawn_freqs as it was before session 19: the frequencies of the drawn calls."""
    G, _ = _PROBABILITIES(batches, offsets, k, temperature, ar_gain, pseudo)
    cl = np.concatenate([c for *_, c in batches]) if k > 1 else np.zeros(len(G), np.int64)
    return G, np.stack([readout.genotype_freqs(G[cl == c], pseudo) for c in range(k)])


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("disease_dir")
    ap.add_argument("--gain", type=float, required=True, help="lag gain of the offsets rows scored")
    ap.add_argument("--master-seed", type=int, required=True, help="picks the real calibration people")
    ap.add_argument("--fit-seeds", default="1,2,3,4")
    ap.add_argument("--draws", type=int, default=4)
    ap.add_argument("--configfile", default="config/config.yaml")
    a = ap.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    cfg = check_config(yaml.safe_load(pathlib.Path(a.configfile).read_text()), a.configfile)
    s, hwe_p, d = _sampling(cfg["sampling"]), float(cfg["evaluate"]["hwe_p"]), pathlib.Path(a.disease_dir)
    vae, diff, _ = _load_models(str(d / "model/vae.pt"), str(d / "model/diffusion.pt"))
    train = str(d / "selection/train.bed")
    _, frac = _train_labels(train)
    G = io.read_genotypes(bed_prefix(train))
    windows = ld_windows(io.read_bim(bed_prefix(train))["CHR"].to_numpy(), int(cfg["evaluate"]["ld_window"]))
    n = min(int(s["calibration_n"]), len(G))
    idx = np.sort(np.random.default_rng([a.master_seed, 41]).choice(len(G), n, replace=False))
    real = calibration.readout_stats(G[idx], windows, hwe_p)
    print(f"{d}, gain {a.gain}, n {n}: real F {real['mean_f']:+.4f}, HWE share {real['hwe_share']:.3f}, "
          f"resampled {np.mean(resampled_hwe_shares(G[idx], hwe_p, seed=a.master_seed)):.3f}")
    target, n_real = calibration.offset_targets(G, vae.get("clusters"), bool(s["genotype_offsets_by_cluster"]))
    latent = {k: s[k] for k in calibration.LATENT_KEYS}

    def batches(m, seed):
        return list(readout.readout_batches(vae, diff, readout.make_labels(m, frac, seed), seed=seed, device="cpu", **latent))

    scoring = [batches(n, 100 + r) for r in range(a.draws)]
    print("| fitting seed | fitted on | mean F | LD strength | HWE share per draw | mean HWE share |\n|---|---|---:|---:|---|---:|")
    for fs in (int(x) for x in a.fit_seeds.split(",")):
        fit = batches(3 * n, a.master_seed + fs)
        for name, fn in (("counts", counts_freqs), ("probabilities", _PROBABILITIES)):
            with mock.patch.object(readout, "drawn_freqs", fn):
                b, _ = readout.genotype_offsets(fit, target, 1.0, a.gain, 4, n_real)
            st = [calibration.readout_stats(np.concatenate([readout.readout_calls(lg, u, w, 1.0, a.gain, offsets=b, cluster=c)
                                                            for w, lg, u, c in sc]), windows, hwe_p) for sc in scoring]
            h = [x["hwe_share"] for x in st]
            print(f"| {fs} | {name} | {np.mean([x['mean_f'] for x in st]):+.4f} | "
                  f"{np.mean([x['ld_mean_r2'] for x in st]) / real['ld_mean_r2']:.3f} | "
                  f"{' / '.join(f'{x:.3f}' for x in h)} | {np.mean(h):.3f} |")


if __name__ == "__main__":
    main()

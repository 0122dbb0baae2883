"""The read-out calibration's grid of one trained model, with every term of its loss.

Runs :func:`snpgen.calibration.calibrate_readout` as the workflow's calibrate_readout rule does
(the training split of ``<results>/<disease>/selection/train``, the model's checkpoints, the
configured sampling section), with the per-PC structure distances scored on every row, and prints
one row per grid setting: mean F, LD strength, HWE share, PC1-PCn distance (SD of the real score)
and each loss term, and which row the loss chooses. ``--json`` keeps the grid for other losses.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/calibration_grid.py results/cad --threads 1
"""
from __future__ import annotations

import argparse
import json
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "workflow"))

import yaml  # noqa: E402

from snpgen import calibration, io  # noqa: E402
from snpgen.config import check_config, stage_seed  # noqa: E402
from snpgen.genotypes import bed_prefix  # noqa: E402
from snpgen.sample import _load_models, _sampling, _train_labels  # noqa: E402


def terms(row: dict, real: dict) -> dict:
    """The loss's terms of one grid row (:func:`snpgen.calibration.loss_terms`: HWE over the larger of
    the real and the resampled share), and HWEreal: the HWE excess over the real share alone."""
    return {**calibration.loss_terms(row, real),
            "HWEreal": calibration.loss_terms(row, {**real, "hwe_share_resampled": real["hwe_share"]})["HWE"]}


LOSSES = {"F+LD+HWE": ("F", "LD", "HWEreal"), "+PC": ("F", "LD", "HWEreal", "PC"),
          "resampled HWE": ("F", "LD", "HWE"), "resampled HWE +PC (calibrate_readout's)": ("F", "LD", "HWE", "PC")}


def choices(cal: dict) -> dict:
    """The row each loss variant chooses (offsets rows pay the calibration's margin, as in calibrate_readout)."""
    out = {}
    for name, keys in LOSSES.items():
        def loss(r, keys=keys):
            t = terms(r, cal["real"])
            return sum(t[k] for k in keys) + cal["offset_margin"] * r["offsets"]
        best = min(cal["grid"], key=lambda r: (loss(r), abs(r["temperature"] - 1) + abs(r["ar_gain"] - 1)))
        out[name] = f"T {best['temperature']} g {best['ar_gain']}{' + offsets' if best['offsets'] else ''} ({loss(best):.2f})"
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("disease_dir", help="<results>/<disease> of a trained model")
    ap.add_argument("--configfile", default="config/config.yaml", help="its sampling and evaluate sections are used")
    ap.add_argument("--pcs", type=int, default=4, help="leading PCs scored (default 4)")
    ap.add_argument("--n", type=int, default=None, help="calibration people (default sampling.calibration_n)")
    ap.add_argument("--seed", type=int, default=1, help="the calibration's seed (ablations.py uses 1)")
    ap.add_argument("--master-seed", type=int, default=None,
                    help="instead of --seed: the workflow's master seed (config seed), giving the seed its "
                         "calibrate_readout rule uses for this disease")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json", default=None, help="write the calibration (grid rows with their stats) here")
    a = ap.parse_args(argv)
    import torch

    torch.set_num_threads(a.threads)
    cfg = check_config(yaml.safe_load(pathlib.Path(a.configfile).read_text()), a.configfile)
    d = pathlib.Path(a.disease_dir)
    if a.master_seed is not None:
        a.seed = stage_seed(a.master_seed, "calibrate_readout", d.name)
    s = _sampling(cfg["sampling"])
    vae, diff, _ = _load_models(str(d / "model/vae.pt"), str(d / "model/diffusion.pt"))
    train = str(d / "selection/train.bed")
    _, fraction = _train_labels(train)
    prefix = bed_prefix(train)
    gen = {k: v for k, v in s.items() if k in calibration.LATENT_KEYS}
    cal = calibration.calibrate_readout(
        vae, diff, io.read_genotypes(prefix), io.read_bim(prefix)["CHR"].to_numpy(), fraction, gen,
        temperatures=s["calibration_temperatures"], ar_gains=s["calibration_ar_gains"],
        n=int(a.n or s["calibration_n"]), seed=a.seed, ld_window=int(cfg["evaluate"]["ld_window"]),
        hwe_p=float(cfg["evaluate"]["hwe_p"]), device="cpu", frequency_offsets=bool(s["genotype_frequency_offsets"]),
        by_cluster=bool(s["genotype_offsets_by_cluster"]), structure_pcs=a.pcs,
        offset_shrinkage=s["genotype_offset_shrinkage"])
    real = cal["real"]
    print(f"{d}: K={int((vae.get('clusters') or {}).get('n', 1))}, n={cal['n']}, real F {real['mean_f']:+.4f} "
          f"r2 {real['ld_mean_r2']:.4f} HWE {real['hwe_share']:.3f} (resampled {real['hwe_share_resampled']:.3f}); offset margin {cal['offset_margin']:.2f}")
    for r in cal["grid"]:
        t = terms(r, real)
        pcs = "/".join(f"{x:.2f}" for x in r.get("pc_distance", ()))
        mark = "*" if (r["temperature"], r["ar_gain"], r["offsets"]) == (cal["temperature"], cal["ar_gain"],
                                                                         "genotype_offsets" in cal) else " "
        print(f"{mark} T {r['temperature']:.2f} g {r['ar_gain']:.2f} {'off' if r['offsets'] else '   '} "
              f"F {r['mean_f']:+.4f} LD {r['ld_mean_r2'] / real['ld_mean_r2']:.3f} HWE {r['hwe_share']:.3f} PC {pcs} | "
              + " ".join(f"{k} {v:6.2f}" for k, v in t.items()) + f" | loss {r['loss']:.2f}")
    for name, c in choices(cal).items():
        print(f"  loss {name}: {c}")
    if a.json:
        cal.pop("genotype_offsets", None)
        pathlib.Path(a.json).write_text(json.dumps(cal, indent=1))


if __name__ == "__main__":
    main()

"""Generate a synthetic cohort from the trained VAE + latent diffusion, and write it as PLINK.

Labels are fixed first (``round(n * case_fraction)`` cases, shuffled with the seed); latents are
drawn from the label-conditional diffusion (classifier-free guidance), de-standardised, decoded
to genotype probabilities, and turned into hard calls by sampling each SNP's genotype from the
decoder's categorical distribution (``hard_calls="sample"``, the default) or taking its mode
(``"argmax"``: sharper LD, but over-represents common genotypes). With the VAE's autoregressive
read-out (``vae.ar_lags`` > 0) the calls are drawn left to right, each SNP given the calls just
drawn for the preceding ``ar_lags`` SNPs (local LD that the latent alone leaves out).

The same seed, parameters and thread count on CPU give a bit-identical cohort.
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Callable

import numpy as np
import polars as pl

from . import io
from .defaults import schema_defaults
from .readout import make_labels, readout_batches, readout_calls  # noqa: F401 (make_labels re-exported)

# The sampling parameters (config["sampling"]) and their defaults: the schema's (each key described in
# workflow/schemas/config.schema.yaml and config/README.md).
SAMPLING_DEFAULTS: dict = schema_defaults("sampling")


_D = SAMPLING_DEFAULTS
# the read-out calibration's keys (snpgen.calibration); the others are generate()'s arguments
CALIBRATION_KEYS = ("calibrate_readout", "calibration_n", "calibration_temperatures", "calibration_ar_gains",
                    "genotype_frequency_offsets", "genotype_offsets_by_cluster", "genotype_offset_shrinkage",
                    "calibration_structure_pcs")


def generate(vae_state: dict, diff_state: dict, n: int, case_fraction: float,
             guidance_scale: float = _D["guidance_scale"], sampler: str = _D["sampler"], steps: int = _D["steps"],
             seed: int = 1, device="auto", hard_calls: str = _D["hard_calls"], batch_size: int = _D["batch_size"],
             clip_x0: float = _D["clip_x0"], eta: float = _D["eta"], temperature: float = _D["temperature"],
             ar_gain: float = _D["ar_gain"], genotype_offsets=None) -> tuple[np.ndarray, np.ndarray]:
    """Return (G int8 (n, L) 0/1/2, y int8 (n,) 0/1) for ``n`` synthetic individuals. The keyword
    arguments are the sampling parameters (:data:`SAMPLING_DEFAULTS`, config["sampling"]) and the
    calibration's per-SNP ``genotype_offsets`` (3 x L, K x 3 x L per ancestry cluster, or None)."""
    if hard_calls not in ("sample", "argmax"):
        raise ValueError(f"hard_calls must be 'sample' or 'argmax', not {hard_calls!r}")
    y = make_labels(n, case_fraction, seed)
    G = np.empty((int(n), int(vae_state["n_snps"])), dtype=np.int8)
    s = 0
    for ar_w, logits, u, cluster in readout_batches(vae_state, diff_state, y, seed=seed, device=device,
                                                    guidance_scale=guidance_scale, sampler=sampler, steps=steps,
                                                    batch_size=batch_size, clip_x0=clip_x0, eta=eta,
                                                    uniforms=hard_calls != "argmax"):
        G[s:s + len(u)] = readout_calls(logits, u, ar_w, temperature, ar_gain, argmax=hard_calls == "argmax",
                                        offsets=genotype_offsets, cluster=cluster)
        s += len(u)
    return G, y


READOUT_KEYS = ("temperature", "ar_gain", "genotype_offsets")  # what calibrate_readout hands to generate()


def load_readout(readout: str | Path | dict | None) -> dict:
    """:func:`calibrate_readout_files`' read-out as a dict, from its JSON path or the dict itself ({} for None)."""
    return json.loads(Path(readout).read_text()) if isinstance(readout, (str, Path)) else (readout or {})


def readout_settings(readout: str | Path | dict | None) -> dict:
    """The calibrated read-out's keyword arguments for :func:`generate` (temperature, ar_gain,
    genotype_offsets: those present) from :func:`calibrate_readout_files`' JSON path or its dict."""
    ro = load_readout(readout)
    return {k: ro[k] for k in READOUT_KEYS if k in ro}


def synthetic_ids(n: int) -> list[str]:
    width = max(6, len(str(int(n))))
    return [f"SYN{i:0{width}d}" for i in range(1, int(n) + 1)]


def write_cohort(prefix: str | Path, G: np.ndarray, y: np.ndarray, bim: pl.DataFrame,
                 pheno_path: str | Path | None = None) -> None:
    """Write ``{prefix}.bed/.bim/.fam`` (FID = IID = SYN000001..., PHENO 2 = case, 1 = control)
    and a phenotype table ``pheno_path`` (default ``{prefix}.pheno.tsv``: FID, IID, case 0/1)."""
    G = np.asarray(G, dtype=np.int8)
    y = np.asarray(y, dtype=np.int8)
    if G.shape[0] != len(y) or G.shape[1] != bim.height:
        raise ValueError(f"genotypes {G.shape} do not match {len(y)} labels x {bim.height} variants")
    ids = synthetic_ids(len(y))
    fam = pl.DataFrame({"FID": ids, "IID": ids, "SEX": [0] * len(ids),
                        "PHENO": np.where(y == 1, "2", "1").tolist()})
    io.write_bed(prefix, G, fam, bim)
    io.write_tsv(pheno_path or f"{prefix}.pheno.tsv",
                 pl.DataFrame({"FID": ids, "IID": ids, "case": y.astype(np.int64)}))


def _check_outputs(out_bed: str, out_bim: str | None, out_fam: str | None) -> str:
    if not str(out_bed).endswith(".bed"):
        raise ValueError(f"output .bed path must end in .bed: {out_bed}")
    prefix = str(out_bed)[:-4]
    for path, suf in ((out_bim, ".bim"), (out_fam, ".fam")):
        if path is not None and str(path) != prefix + suf:
            raise ValueError(f"{path}: expected {prefix + suf} (the .bed/.bim/.fam must share one prefix)")
    return prefix


def resolve_case_fraction(case_fraction, mode: str, train_fraction: float) -> float:
    if case_fraction is not None:
        return float(case_fraction)
    if mode == "augmented":
        return 0.5
    if mode == "matched":
        return float(train_fraction)
    raise ValueError(f"mode must be 'matched' or 'augmented' (or give case_fraction), not {mode!r}")


def readout_setting(vae_state: dict, diff_state: dict, s: dict, train_prefix: str, train_fraction: float, *,
                    seed: int, device="auto", ld_window: int = 50, hwe_p: float = 1e-6,
                    log: Callable[[str], None] = print) -> dict:
    """generate()'s keyword arguments from the sampling section ``s``: with ``calibrate_readout``
    the temperature and lag gain are this model's calibrated pair (snpgen.calibration), chosen
    against the real training people of ``train_prefix``; the calibration is returned under
    ``"calibration"`` (None when off)."""
    from .calibration import calibrate_readout

    gen = {k: v for k, v in s.items() if k not in CALIBRATION_KEYS}
    if not s.get("calibrate_readout"):
        return {**gen, "calibration": None}
    bim = io.read_bim(train_prefix)
    cal = calibrate_readout(vae_state, diff_state, io.read_genotypes(train_prefix), bim["CHR"].to_numpy(),
                            train_fraction, gen, temperatures=s["calibration_temperatures"],
                            ar_gains=s["calibration_ar_gains"], n=int(s["calibration_n"]), seed=seed,
                            ld_window=ld_window, hwe_p=hwe_p, device=device,
                            frequency_offsets=bool(s.get("genotype_frequency_offsets")),
                            by_cluster=bool(s.get("genotype_offsets_by_cluster", True)),
                            offset_shrinkage=str(s.get("genotype_offset_shrinkage", "targets")),
                            structure_pcs=int(s.get("calibration_structure_pcs", 0)))
    r = cal["real"]
    log(f"read-out calibration on {cal['n']} people: temperature {cal['temperature']}, lag gain {cal['ar_gain']}"
        f"{', per-SNP genotype offsets' if cal.get('genotype_offsets') is not None else ''} "
        f"(real training: mean F {r['mean_f']:+.4f}, mean r2 {r['ld_mean_r2']:.4f}, HWE share {r['hwe_share']:.3f}; offsets win by more than {cal['offset_margin']:.2f})")
    for row in cal["grid"]:
        log(f"  T {row['temperature']:.2f} gain {row['ar_gain']:.2f}{' + offsets' if row.get('offsets') else ''}: mean F {row['mean_f']:+.4f}, "
            f"mean r2 {row['ld_mean_r2']:.4f}, HWE share {row['hwe_share']:.3f}, "
            + (f"PC distances {'/'.join(f'{d:.2f}' for d in row['pc_distance'])}, " if row.get("pc_distance") else "")
            + f"loss {row['loss']:.2f}")
    return {**gen, "temperature": cal["temperature"], "ar_gain": cal["ar_gain"],
            "genotype_offsets": cal.pop("genotype_offsets", None), "calibration": cal}


def _load_models(vae_ckpt: str, diffusion_ckpt: str, bim_path: str | None = None) -> tuple[dict, dict, object]:
    """The VAE and diffusion checkpoints, and the .bim (checked against the VAE's variants) when given."""
    from .models.train import DIFFUSION_KIND, VAE_KIND, load_checkpoint

    vae_state = load_checkpoint(vae_ckpt, VAE_KIND)
    diff_state = load_checkpoint(diffusion_ckpt, DIFFUSION_KIND)
    if bim_path is None:
        return vae_state, diff_state, None
    bim = io.read_bim(bim_path[:-4] if str(bim_path).endswith(".bim") else bim_path)
    if bim.height != int(vae_state["n_snps"]):
        raise ValueError(f"{bim_path} has {bim.height} variants, the VAE {vae_state['n_snps']}")
    if vae_state.get("snp_ids") is not None and list(vae_state["snp_ids"]) != bim["ID"].to_list():
        raise ValueError(f"{bim_path}: variant IDs/order differ from those the VAE was trained on")
    return vae_state, diff_state, bim


def _sampling(sampling: dict | None) -> dict:
    unknown = set(sampling or {}) - set(SAMPLING_DEFAULTS)
    if unknown:
        raise ValueError(f"unknown sampling params: {sorted(unknown)}")
    return {**SAMPLING_DEFAULTS, **(sampling or {})}


def _train_labels(train_bed: str) -> tuple[np.ndarray, float]:
    """The training split's labels and case fraction (0.5 without labels)."""
    from .genotypes import bed_prefix, fam_labels

    y_train = fam_labels(bed_prefix(train_bed))
    lab = y_train >= 0
    return y_train, float(y_train[lab].mean()) if lab.any() else 0.5


def calibrate_readout_files(vae_ckpt: str, diffusion_ckpt: str, train_bed: str, out_json: str,
                            sampling: dict | None = None, seed: int = 1, device: str = "auto", threads: int = 1,
                            ld_window: int = 50, hwe_p: float = 1e-6, log: Callable[[str], None] = print) -> dict:
    """One model's read-out pair, written to ``out_json`` (aggregate statistics only) for every
    sample_cohort job of that model: with ``sampling.calibrate_readout`` the pair calibrated against
    the real training people (:func:`readout_setting`, seed ``seed``), otherwise the configured
    temperature and ar_gain. Returns what it writes."""
    import torch

    from .genotypes import bed_prefix

    torch.set_num_threads(max(1, int(threads)))
    s = _sampling(sampling)
    vae_state, diff_state, _ = _load_models(vae_ckpt, diffusion_ckpt)
    _, train_fraction = _train_labels(train_bed)
    gen = readout_setting(vae_state, diff_state, s, bed_prefix(train_bed), train_fraction, seed=seed,
                          device=device, ld_window=ld_window, hwe_p=hwe_p, log=log)
    cal = gen.pop("calibration")
    doc = {"temperature": gen["temperature"], "ar_gain": gen["ar_gain"], "calibrated": cal is not None,
           "calibration": cal}
    if gen.get("genotype_offsets") is not None:  # per-SNP offsets: the training split's genotype frequencies
        doc["genotype_offsets"] = gen["genotype_offsets"]
    io.write_json(out_json, doc)
    if cal is None:
        log(f"read-out: temperature {doc['temperature']}, lag gain {doc['ar_gain']} (calibration off)")
    return doc


def _n_clusters(diff_state: dict) -> int:
    """The ancestry clusters the diffusion draws for (1 without clusters)."""
    return max(1, int((diff_state.get("clusters") or {}).get("n", 0)))


def _check_offsets(offsets, n_snps: int, k: int, where, bim_path) -> None:
    """Genotype offsets are (3, L), or (K, 3, L) for the model's K ancestry clusters."""
    shape = np.shape(offsets)
    if shape not in ((3, n_snps), (k, 3, n_snps)):
        raise ValueError(f"{where}: genotype_offsets has shape {shape}, expected (3, {n_snps}) or ({k}, 3, {n_snps}) "
                         f"for the {n_snps} variants of {bim_path} and the model's {k} ancestry cluster(s)")


def sample_cohort_files(vae_ckpt: str, diffusion_ckpt: str, bim_path: str, train_bed: str, out_bed: str,
                        out_pheno: str, n: int | None = None, case_fraction: float | None = None,
                        mode: str = "matched", sampling: dict | None = None, seed: int = 1,
                        device: str = "auto", threads: int = 1, out_bim: str | None = None,
                        out_fam: str | None = None, readout: str | dict | None = None,
                        log: Callable[[str], None] = print) -> dict:
    """Generate a synthetic cohort and write it as PLINK + phenotype table. Returns a summary.
    ``readout``: the model's read-out pair (:func:`calibrate_readout_files`' JSON, or its dict);
    without it the sampling section's temperature and ar_gain are used as given (no calibration)."""
    import torch

    torch.set_num_threads(max(1, int(threads)))
    prefix = _check_outputs(out_bed, out_bim, out_fam)
    s = _sampling(sampling)
    vae_state, diff_state, bim = _load_models(vae_ckpt, diffusion_ckpt, bim_path)
    y_train, train_fraction = _train_labels(train_bed)
    n = int(n) if n is not None else int(len(y_train))
    cf = resolve_case_fraction(case_fraction, mode, train_fraction)
    ro = load_readout(readout)
    gen = {k: v for k, v in s.items() if k not in CALIBRATION_KEYS}
    gen.update(readout_settings(ro))
    if gen.get("genotype_offsets") is not None:
        _check_offsets(gen["genotype_offsets"], bim.height, _n_clusters(diff_state),
                       readout if isinstance(readout, (str, Path)) else "read-out", bim_path)
    t0 = time.perf_counter()
    G, y = generate(vae_state, diff_state, n, cf, seed=seed, device=device, **gen)
    t1 = time.perf_counter()
    write_cohort(prefix, G, y, bim, out_pheno)
    t2 = time.perf_counter()
    summary = {"n": n, "n_snps": int(G.shape[1]), "mode": mode, "case_fraction": cf,
               "n_cases": int(y.sum()), "sampling": {**s, "temperature": gen["temperature"],
                                                      "ar_gain": gen["ar_gain"]},
               "calibrated": bool(ro.get("calibrated")), "genotype_offsets": gen.get("genotype_offsets") is not None,
               "seed": int(seed),
               "generate_seconds": round(t1 - t0, 2), "write_seconds": round(t2 - t1, 2)}
    log(f"synthetic cohort ({mode}): {n} individuals x {G.shape[1]} SNPs, {int(y.sum())} cases "
        f"(case fraction {cf:.3f}; training {train_fraction:.3f}); guidance {s['guidance_scale']}, "
        f"{s['sampler']} {s['steps']} steps (eta {s['eta']}), hard calls {s['hard_calls']}, read-out temperature "
        f"{gen['temperature']} / lag gain {gen['ar_gain']}"
        f"{' with per-SNP genotype offsets' if summary['genotype_offsets'] else ''}; "
        f"generated in {t1 - t0:.1f}s, written in {t2 - t1:.1f}s")
    return summary

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

import time
from pathlib import Path
from typing import Callable

import numpy as np
import polars as pl

from . import io
from .defaults import schema_defaults

# The sampling parameters (config["sampling"]) and their defaults: the schema's (each key described in
# workflow/schemas/config.schema.yaml and config/README.md).
SAMPLING_DEFAULTS: dict = schema_defaults("sampling")


def make_labels(n: int, case_fraction: float, seed: int) -> np.ndarray:
    if not 0.0 <= float(case_fraction) <= 1.0:
        raise ValueError(f"case_fraction must be in [0, 1], got {case_fraction}")
    y = np.zeros(int(n), dtype=np.int8)
    y[: int(round(n * float(case_fraction)))] = 1
    return np.random.default_rng([int(seed), 7]).permutation(y)


_D = SAMPLING_DEFAULTS


def generate(vae_state: dict, diff_state: dict, n: int, case_fraction: float,
             guidance_scale: float = _D["guidance_scale"], sampler: str = _D["sampler"], steps: int = _D["steps"],
             seed: int = 1, device="auto", hard_calls: str = _D["hard_calls"], batch_size: int = _D["batch_size"],
             clip_x0: float = _D["clip_x0"], eta: float = _D["eta"], temperature: float = _D["temperature"],
             ar_gain: float = _D["ar_gain"]) -> tuple[np.ndarray, np.ndarray]:
    """Return (G int8 (n, L) 0/1/2, y int8 (n,) 0/1) for ``n`` synthetic individuals. The keyword
    arguments are the sampling parameters (:data:`SAMPLING_DEFAULTS`, config["sampling"])."""
    import torch

    from .models.runtime import autocast, pick_device
    from .models.diffusion import N_LABELS
    from .models.train import build_diffusion, build_vae, condition_codes
    from .models.vae import sample_calls

    if hard_calls not in ("sample", "argmax"):
        raise ValueError(f"hard_calls must be 'sample' or 'argmax', not {hard_calls!r}")
    if int(vae_state["n_snps"]) != int(diff_state["n_snps"]):
        raise ValueError("VAE and diffusion checkpoints disagree on the SNP count")
    device = device if isinstance(device, torch.device) else pick_device(device or "auto")
    vae = build_vae(vae_state, device)
    model, diff = build_diffusion(diff_state, device)
    mean = diff_state["latent_mean"].to(device)
    std = diff_state["latent_std"].to(device)
    shape = tuple(int(s) for s in diff_state["latent_shape"])
    L = int(vae_state["n_snps"])
    ar_w = vae.ar_table().detach().float().cpu().numpy() if vae.ar_lags else None
    if ar_w is not None and (ar_gain != 1.0 or temperature != 1.0):
        ar_w = ar_w * np.float32(float(ar_gain) / float(temperature))
    y = make_labels(n, case_fraction, seed)
    codes = condition_codes(y, diff_state, seed, by_class=float(guidance_scale) > 0)
    G = np.empty((int(n), L), dtype=np.int8)
    gen = torch.Generator().manual_seed(int(seed))
    dec_batch = 256  # the decoder's full-resolution output is memory-bound: small batches are ~3x faster
    with torch.no_grad():
        batch_size = int(batch_size)
        for s in range(0, int(n), batch_size):
            yb = codes[s:s + batch_size].to(device)
            with autocast(device):
                zs = diff.sample(model, (len(yb), *shape), yb, guidance_scale=float(guidance_scale),
                                 sampler=sampler, steps=int(steps), generator=gen, clip_x0=float(clip_x0),
                                 eta=float(eta))
            z = zs.float() * std + mean
            cluster = yb // N_LABELS  # the ancestry cluster each latent was drawn for (0 without clusters)
            # decode in small batches, then draw the calls (left to right with the read-out's lags)
            parts, us = [], []
            for d in range(0, len(yb), dec_batch):
                with autocast(device):
                    parts.append(vae.decode(z[d:d + dec_batch], cluster[d:d + dec_batch]).float().cpu().numpy())
                if temperature != 1.0:
                    parts[-1] = parts[-1] / np.float32(temperature)
                if hard_calls != "argmax":
                    us.append(torch.rand((parts[-1].shape[0], L), generator=gen).numpy())
            u = np.concatenate(us) if us else np.zeros((len(yb), L), np.float32)
            G[s:s + len(yb)] = sample_calls(np.concatenate(parts), u, ar_w, argmax=hard_calls == "argmax")
    return G, y


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


def sample_cohort_files(vae_ckpt: str, diffusion_ckpt: str, bim_path: str, train_bed: str, out_bed: str,
                        out_pheno: str, n: int | None = None, case_fraction: float | None = None,
                        mode: str = "matched", sampling: dict | None = None, seed: int = 1,
                        device: str = "auto", threads: int = 1, out_bim: str | None = None,
                        out_fam: str | None = None, log: Callable[[str], None] = print) -> dict:
    """Generate a synthetic cohort and write it as PLINK + phenotype table. Returns a summary."""
    import torch

    from .genotypes import bed_prefix, fam_labels
    from .models.train import DIFFUSION_KIND, VAE_KIND, load_checkpoint

    torch.set_num_threads(max(1, int(threads)))
    prefix = _check_outputs(out_bed, out_bim, out_fam)
    s = {**SAMPLING_DEFAULTS, **(sampling or {})}
    unknown = set(sampling or {}) - set(SAMPLING_DEFAULTS)
    if unknown:
        raise ValueError(f"unknown sampling params: {sorted(unknown)}")
    vae_state = load_checkpoint(vae_ckpt, VAE_KIND)
    diff_state = load_checkpoint(diffusion_ckpt, DIFFUSION_KIND)
    bim = io.read_bim(bim_path[:-4] if str(bim_path).endswith(".bim") else bim_path)
    if bim.height != int(vae_state["n_snps"]):
        raise ValueError(f"{bim_path} has {bim.height} variants, the VAE {vae_state['n_snps']}")
    if vae_state.get("snp_ids") is not None and list(vae_state["snp_ids"]) != bim["ID"].to_list():
        raise ValueError(f"{bim_path}: variant IDs/order differ from those the VAE was trained on")
    y_train = fam_labels(bed_prefix(train_bed))
    lab = y_train >= 0
    train_fraction = float(y_train[lab].mean()) if lab.any() else 0.5
    n = int(n) if n is not None else int(len(y_train))
    cf = resolve_case_fraction(case_fraction, mode, train_fraction)
    t0 = time.perf_counter()
    G, y = generate(vae_state, diff_state, n, cf, seed=seed, device=device, **s)
    t1 = time.perf_counter()
    write_cohort(prefix, G, y, bim, out_pheno)
    t2 = time.perf_counter()
    summary = {"n": n, "n_snps": int(G.shape[1]), "mode": mode, "case_fraction": cf,
               "n_cases": int(y.sum()), "sampling": s, "seed": int(seed),
               "generate_seconds": round(t1 - t0, 2), "write_seconds": round(t2 - t1, 2)}
    log(f"synthetic cohort ({mode}): {n} individuals x {G.shape[1]} SNPs, {int(y.sum())} cases "
        f"(case fraction {cf:.3f}; training {train_fraction:.3f}); guidance {s['guidance_scale']}, "
        f"{s['sampler']} {s['steps']} steps (eta {s['eta']}), hard calls {s['hard_calls']}; generated in {t1 - t0:.1f}s, "
        f"written in {t2 - t1:.1f}s")
    return summary

"""The model's read-out of synthetic people: labels, latents drawn from the conditional diffusion,
genotype logits from the VAE decoder, and hard calls drawn from them (left to right with the
autoregressive read-out's lags) at a read-out temperature and lag gain."""
from __future__ import annotations

import numpy as np

from .defaults import schema_defaults

_D: dict = schema_defaults("sampling")


def make_labels(n: int, case_fraction: float, seed: int) -> np.ndarray:
    if not 0.0 <= float(case_fraction) <= 1.0:
        raise ValueError(f"case_fraction must be in [0, 1], got {case_fraction}")
    y = np.zeros(int(n), dtype=np.int8)
    y[: int(round(n * float(case_fraction)))] = 1
    return np.random.default_rng([int(seed), 7]).permutation(y)



def readout_batches(vae_state: dict, diff_state: dict, y: np.ndarray, *, seed: int, device="auto",
                    guidance_scale: float = _D["guidance_scale"], sampler: str = _D["sampler"],
                    steps: int = _D["steps"], batch_size: int = _D["batch_size"], clip_x0: float = _D["clip_x0"],
                    eta: float = _D["eta"], uniforms: bool = True):
    """Per generation batch of the synthetic people with labels ``y``: (lag table or None, genotype
    logits (b, 3, L), uniforms of the call draw (b, L); zeros when not ``uniforms``). Latents are
    drawn from the label- (and cluster-) conditional diffusion, de-standardised and decoded with the
    cluster each was drawn for. One random stream: per batch the diffusion noise, then the uniforms."""
    import torch

    from .models.runtime import autocast, pick_device
    from .models.diffusion import N_LABELS
    from .models.train import build_diffusion, build_vae, condition_codes

    if int(vae_state["n_snps"]) != int(diff_state["n_snps"]):
        raise ValueError("VAE and diffusion checkpoints disagree on the SNP count")
    device = device if isinstance(device, torch.device) else pick_device(device or "auto")
    vae = build_vae(vae_state, device)
    model, diff = build_diffusion(diff_state, device)
    mean, std = diff_state["latent_mean"].to(device), diff_state["latent_std"].to(device)
    shape = tuple(int(s) for s in diff_state["latent_shape"])
    L = int(vae_state["n_snps"])
    ar_w = vae.ar_table().detach().float().cpu().numpy() if vae.ar_lags else None
    codes = condition_codes(y, diff_state, seed, by_class=float(guidance_scale) > 0)
    gen = torch.Generator().manual_seed(int(seed))
    dec_batch = 256  # the decoder's full-resolution output is memory-bound: small batches are ~3x faster
    with torch.no_grad():
        for s in range(0, len(y), int(batch_size)):
            yb = codes[s:s + int(batch_size)].to(device)
            with autocast(device):
                zs = diff.sample(model, (len(yb), *shape), yb, guidance_scale=float(guidance_scale),
                                 sampler=sampler, steps=int(steps), generator=gen, clip_x0=float(clip_x0),
                                 eta=float(eta))
            z = zs.float() * std + mean
            cluster = yb // N_LABELS  # the ancestry cluster each latent was drawn for (0 without clusters)
            parts, us = [], []
            for d in range(0, len(yb), dec_batch):  # decode in small batches
                with autocast(device):
                    parts.append(vae.decode(z[d:d + dec_batch], cluster[d:d + dec_batch]).float().cpu().numpy())
                shape_u = (parts[-1].shape[0], L)
                us.append(torch.rand(shape_u, generator=gen).numpy() if uniforms else np.zeros(shape_u, np.float32))
            yield ar_w, np.concatenate(parts), np.concatenate(us)


def readout_calls(logits: np.ndarray, u: np.ndarray, ar_w: np.ndarray | None, temperature: float = 1.0,
                  ar_gain: float = 1.0, argmax: bool = False) -> np.ndarray:
    """Hard calls int8 (b, L) from :func:`readout_batches`' logits and uniforms: every logit divided
    by ``temperature``, the lag terms multiplied by ``ar_gain`` (left to right with the lags)."""
    from .models.vae import sample_calls

    if ar_w is not None and (ar_gain != 1.0 or temperature != 1.0):
        ar_w = ar_w * np.float32(float(ar_gain) / float(temperature))
    if temperature != 1.0:
        logits = logits / np.float32(temperature)
    return sample_calls(logits, u, ar_w, argmax=argmax)

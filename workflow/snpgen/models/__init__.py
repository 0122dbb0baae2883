"""Generative models: a genotype VAE and a label-conditional latent DDPM.

One code path for CPU and CUDA: :func:`pick_device` chooses the device, mixed precision
(bfloat16 autocast) is used only on CUDA, and :func:`seed_everything` makes CPU runs
bit-reproducible for a fixed seed and thread count.
"""
from __future__ import annotations

from ..genotypes import impute_missing
from .runtime import autocast, package_versions, pick_device, seed_everything
from .vae import GenotypeVAE, VAE_DEFAULTS, one_hot
from .diffusion import DIFFUSION_DEFAULTS, GaussianDiffusion, build_denoiser
from .train import load_checkpoint, train_diffusion, train_vae

__all__ = [
    "pick_device", "seed_everything", "autocast", "package_versions",
    "GenotypeVAE", "VAE_DEFAULTS", "impute_missing", "one_hot",
    "GaussianDiffusion", "DIFFUSION_DEFAULTS", "build_denoiser",
    "train_vae", "train_diffusion", "load_checkpoint",
]

"""Generative models: a genotype VAE and a label-conditional latent DDPM.

One code path for CPU and CUDA: :func:`pick_device` chooses the device, mixed precision
(bfloat16 autocast) is used only on CUDA, and :func:`seed_everything` makes CPU runs
bit-reproducible for a fixed seed and thread count.
"""
from __future__ import annotations

import contextlib
import os
import random

import numpy as np


def pick_device(name: str = "auto"):
    """``"auto"`` -> CUDA when available, else CPU; otherwise ``torch.device(name)``."""
    import torch

    if name in (None, "", "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(name)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(f"device {name!r} requested but CUDA is not available")
    return dev


def seed_everything(seed: int, deterministic: bool = True) -> None:
    """Seed python, numpy and torch; ask torch for deterministic kernels where feasible."""
    import torch

    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if deterministic:
        # CUDA needs this for deterministic cuBLAS; harmless on CPU.
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True, warn_only=True)
        if torch.backends.cudnn.is_available():
            torch.backends.cudnn.benchmark = False
            torch.backends.cudnn.deterministic = True


def autocast(device):
    """bfloat16 autocast on CUDA; a no-op context on CPU (full float32 there)."""
    import torch

    if getattr(device, "type", str(device)) == "cuda":
        return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def package_versions() -> dict:
    import torch

    import snpgen

    return {"torch": str(torch.__version__), "numpy": str(np.__version__), "snpgen": str(snpgen.__version__)}


from .vae import GenotypeVAE, VAE_DEFAULTS, impute_missing, one_hot  # noqa: E402
from .diffusion import DIFFUSION_DEFAULTS, GaussianDiffusion, build_denoiser  # noqa: E402
from .train import load_checkpoint, train_diffusion, train_vae  # noqa: E402

__all__ = [
    "pick_device", "seed_everything", "autocast", "package_versions",
    "GenotypeVAE", "VAE_DEFAULTS", "impute_missing", "one_hot",
    "GaussianDiffusion", "DIFFUSION_DEFAULTS", "build_denoiser",
    "train_vae", "train_diffusion", "load_checkpoint",
]

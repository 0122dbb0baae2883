"""Device, seeding, mixed precision and version helpers of the models (torch imported lazily).

Kept apart from the package ``__init__`` (which imports ``train``) so that ``models.train`` takes
them from here: ``__init__`` and ``train`` no longer import each other.
"""
from __future__ import annotations

import contextlib
import os
import random

import numpy as np

from ..provenance import checkpoint_versions as package_versions  # noqa: F401 - re-exported


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

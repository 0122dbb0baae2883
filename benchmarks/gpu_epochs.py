#!/usr/bin/env python
"""Model training and sampling times on one device (CUDA when present, else the CPU), at biobank size.

    python benchmarks/gpu_epochs.py [--n 50000] [--snps 2048] [--vae-epochs 3] [--diffusion-epochs 2]
        [--sample 50000] [--device auto] [--threads 2] [--json out.json]

The cohort is scaling.py's founder-mosaic matrix (n x --snps, LD decaying over ~50 SNPs, 30 % cases
on 20 causal SNPs), built in memory: times depend on the shape, not on the genotypes. One tenth of
it is the validation set. The VAE and the diffusion model are the package's (default settings,
``train_vae`` / ``train_diffusion``), trained for a few epochs with ``device``; then
``sample.generate`` draws --sample people. Reported: the device's name, each epoch's seconds (the
training history's own timing: the optimizer steps and the validation pass), the sampling seconds,
peak GPU memory (CUDA) and peak RSS. Run the same command with ``--device cpu`` for the CPU column.
"""
from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent / "workflow"), str(HERE)]


def device_name(dev) -> str:
    import torch

    if dev.type == "cuda":
        return torch.cuda.get_device_name(dev)
    return f"CPU: {platform.processor() or platform.machine()}, {torch.get_num_threads()} thread(s)"


def run(a: argparse.Namespace) -> dict:
    import torch

    from scaling import simulate_matrix
    from snpgen import sample
    from snpgen.models import pick_device
    from snpgen.models import train as tr

    torch.set_num_threads(a.threads)
    dev = pick_device(a.device)
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    t0 = time.perf_counter()
    G, case = simulate_matrix(a.n, a.snps)
    y = case.astype("int8")
    n_val = a.n // 10
    out = {"n": a.n, "snps": a.snps, "n_train": a.n - n_val, "n_val": n_val, "device": device_name(dev),
           "torch": torch.__version__, "matrix_s": round(time.perf_counter() - t0, 1)}
    quiet = lambda s: None  # noqa: E731
    vae, hist = tr.train_vae(G[n_val:], y[n_val:], G[:n_val], y[:n_val],
                             {"epochs": a.vae_epochs, "patience": 0}, seed=1, device=dev, log=quiet)
    out["vae_epoch_s"] = [round(r["seconds"], 2) for r in hist]
    out["vae_steps_per_epoch"] = -(-(a.n - n_val) // int(vae["params"]["batch_size"]))
    diff, dh = tr.train_diffusion(vae, G, y, {"epochs": a.diffusion_epochs, "check_samples": 0}, seed=2,
                                  device=dev, log=quiet)
    out["diffusion_epoch_s"] = [round(r["seconds"], 2) for r in dh]
    out["diffusion_steps_per_epoch"] = int(diff["params"]["steps_per_epoch"])
    sync()
    t1 = time.perf_counter()
    S, _ = sample.generate(vae, diff, a.sample, case_fraction=0.3, seed=1, device=dev)
    sync()
    out["sample_n"], out["sample_s"] = a.sample, round(time.perf_counter() - t1, 2)
    out["sample_shape_ok"] = list(S.shape) == [a.sample, a.snps]
    if dev.type == "cuda":
        out["peak_gpu_mb"] = round(torch.cuda.max_memory_allocated(dev) / 2**20)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=50000)
    ap.add_argument("--snps", type=int, default=2048)
    ap.add_argument("--vae-epochs", type=int, default=3)
    ap.add_argument("--diffusion-epochs", type=int, default=2)
    ap.add_argument("--sample", type=int, default=50000)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", type=Path)
    a = ap.parse_args(argv)
    out = run(a)
    print(json.dumps(out, indent=1))
    if a.json:
        a.json.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()

"""Training loops for the genotype VAE and the latent diffusion model, and their file-level
wrappers (what the Snakemake scripts call).

Checkpoints are plain dicts saved with ``torch.save``; they hold only tensors and plain Python
values, so ``torch.load(..., weights_only=True)`` reads them. They contain model weights and
aggregate training statistics (allele/genotype frequencies, latent mean/std, case fraction),
never sample IDs or genotype rows.
"""
from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch.nn import functional as F

from .. import structure
from ..resources import vae_epochs
from ..genotypes import allele_freqs, bed_prefix, fam_labels, genotype_freqs, impute_missing
from ..genotypes import binary_labels as _labels
from ..stats import auc as _auc
from .diffusion import (DIFFUSION_DEFAULTS, N_LABELS, NULL_LABEL, GaussianDiffusion, build_denoiser,
                        condition_code, drop_label)
from .runtime import autocast, package_versions, pick_device, seed_everything
from .vae import VAE_DEFAULTS, GenotypeVAE, one_hot

VAE_KIND = "snpgen-vae"
DIFFUSION_KIND = "snpgen-diffusion"
FORMAT_VERSION = 1


# ----------------------------------------------------------------------------- helpers
def ancestry_targets(X_train: np.ndarray, X_val: np.ndarray, k: int, clusters: dict | None = None
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Leading k PC scores of the training split's genotypes (:func:`snpgen.structure.fit_pca`),
    standardised to unit SD, for training and validation people (projected). With ``clusters``
    (the cluster read-out's: n, train, val) each score is taken relative to its cluster's training
    mean: the read-out carries the clusters, the latent the structure within them."""
    pca = structure.fit_pca(X_train, k)
    st, sv = structure.project(X_train, pca), structure.project(X_val, pca)
    if clusters:
        centre = np.stack([st[clusters["train"] == c].mean(0) for c in range(clusters["n"])])
        st, sv = st - centre[clusters["train"]], sv - centre[clusters["val"]]
    scale = st.std(0)
    scale[scale == 0] = 1.0
    return (st / scale).astype(np.float32), (sv / scale).astype(np.float32)


class _EMA:
    def __init__(self, model: torch.nn.Module, decay: float):
        self.decay = float(decay)
        self.model = copy.deepcopy(model).eval() if self.decay > 0 else None
        self.updates = 0

    @torch.no_grad()
    def update(self, model: torch.nn.Module) -> None:
        if self.model is None:
            return
        self.updates += 1
        d = min(self.decay, (1 + self.updates) / (10 + self.updates))  # warm-up
        for pe, p in zip(self.model.parameters(), model.parameters()):
            pe.mul_(d).add_(p.detach(), alpha=1 - d)
        for be, b in zip(self.model.buffers(), model.buffers()):
            be.copy_(b)

    def eval_model(self, model: torch.nn.Module) -> torch.nn.Module:
        return self.model if self.model is not None else model


def _cpu_state(model: torch.nn.Module) -> dict:
    return {k: v.detach().to("cpu").clone() for k, v in model.state_dict().items()}


def _cosine_lr(opt, base_lr: float, step: int, total: int, warmup: int = 0) -> None:
    if warmup and step < warmup:
        lr = base_lr * (step + 1) / warmup
    else:
        frac = min(1.0, step / max(1, total))
        lr = base_lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * frac)))
    for g in opt.param_groups:
        g["lr"] = lr


def _case_fraction(y: np.ndarray | None) -> float | None:
    return float((y == 1).sum() / max((y >= 0).sum(), 1)) if y is not None else None


def _optimise(model: torch.nn.Module, opt, ema: _EMA, loss: torch.Tensor, grad_clip: float) -> None:
    """One optimiser step on ``loss`` (gradient-norm clip when ``grad_clip``), then the EMA update."""
    opt.zero_grad(set_to_none=True)
    loss.backward()
    if grad_clip:
        torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
    opt.step()
    ema.update(model)


def _as_device(device) -> torch.device:
    return device if isinstance(device, torch.device) else pick_device(device or "auto")


def load_checkpoint(path: str | Path, kind: str | None = None) -> dict:
    state = torch.load(path, map_location="cpu", weights_only=True)
    if kind is not None and state.get("kind") != kind:
        raise ValueError(f"{path}: expected a {kind} checkpoint, found {state.get('kind')!r}")
    return state


def build_vae(state: dict, device=None) -> GenotypeVAE:
    # checkpoints from before an option existed were trained without it
    params = {"ar_lags": 0, "pheno_input": "mu", "global_tokens": 0, "ancestry_pcs": 0, "global_encoder": "pooled",
              "genotype_model": "categorical", "cluster_readout": False, **state["params"]}
    model = GenotypeVAE(int(state["n_snps"]), params, n_clusters=state.get("clusters", {}).get("n", 0))
    model.load_state_dict(state["model"])
    return model.to(device or "cpu").eval()


def build_diffusion(state: dict, device=None):
    model = build_denoiser(tuple(state["latent_shape"]), state["params"], state.get("clusters", {}).get("n", 0))
    model.load_state_dict(state["model"])
    p = {**DIFFUSION_DEFAULTS, "gaussian_skip": False, **state["params"]}  # checkpoints before the option: off
    diff = GaussianDiffusion(p["timesteps"], p["schedule"], p["gaussian_skip"])
    return model.to(device or "cpu").eval(), diff


@torch.no_grad()
def encode_posterior(vae: GenotypeVAE, G: np.ndarray, device, batch: int = 1024) -> tuple[torch.Tensor, torch.Tensor]:
    """Posterior means and SDs (N, C, Lz each) of imputed genotypes G (int8 0/1/2), on CPU."""
    mus, sds = [], []
    vae.eval()
    for i in range(0, G.shape[0], batch):
        xb = torch.as_tensor(G[i:i + batch]).to(device)
        with autocast(device):
            mu, logvar = vae.encode(one_hot(xb, vae.padded))
        mus.append(mu.float().cpu())
        sds.append(torch.exp(0.5 * logvar.float()).cpu())
    if not mus:
        return torch.zeros(0, *vae.latent_shape), torch.zeros(0, *vae.latent_shape)
    return torch.cat(mus), torch.cat(sds)


def encode_mu(vae: GenotypeVAE, G: np.ndarray, device, batch: int = 1024) -> torch.Tensor:
    """Posterior means (N, C, Lz) of imputed genotypes G (int8 0/1/2), on CPU."""
    return encode_posterior(vae, G, device, batch)[0]


@torch.no_grad()
def _vae_eval(model: GenotypeVAE, X: np.ndarray, observed: np.ndarray, y: np.ndarray | None,
              device, batch: int = 512, pcs: np.ndarray | None = None, cluster: np.ndarray | None = None) -> dict:
    model.eval()
    correct, total, ce_sum, ce_ar_sum = 0, 0, 0.0, 0.0
    plog, anc = [], []
    for i in range(0, X.shape[0], batch):
        xb = torch.as_tensor(X[i:i + batch]).to(device)
        ob = torch.as_tensor(observed[i:i + batch]).to(device)
        with autocast(device):
            mu, _ = model.encode(one_hot(xb, model.padded))
            logits = model.decode(mu, None if cluster is None else torch.as_tensor(cluster[i:i + batch]))
            pl_ = model.pheno_logit(mu)
            if model.ancestry_pcs:  # inside autocast: mu is bfloat16 there (CUDA)
                anc.append(model.ancestry(mu).float().cpu().numpy())
        logits = logits.float()
        ce = F.cross_entropy(logits, xb.long(), reduction="none")
        ce_sum += float(ce[ob].sum())
        if model.ar_lags:
            ce_ar = F.cross_entropy(model.ar_logits(logits, xb), xb.long(), reduction="none")
            ce_ar_sum += float(ce_ar[ob].sum())
        correct += int(((logits.argmax(1) == xb.long()) & ob).sum())
        total += int(ob.sum())
        plog.append(pl_.float().cpu().numpy())
    out = {"recon_acc": correct / max(total, 1), "recon_ce": ce_sum / max(total, 1)}
    if anc and pcs is not None:  # share of the PC scores' variance the global latent explains
        out["ancestry_r2"] = float(1 - np.mean((np.concatenate(anc) - pcs) ** 2) / np.mean(pcs.var(0)))
    if model.ar_lags:  # cross-entropy of the autoregressive read-out (given the preceding SNPs' calls)
        out["recon_ce_ar"] = ce_ar_sum / max(total, 1)
    if y is not None:
        out["auc"] = _auc(y, np.concatenate(plog))
    return out


def plot_history(history: list[dict], path: str | Path, panels: list[tuple[str, list[str]]], title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.4), squeeze=False)
    ep = [h["epoch"] for h in history]
    for ax, (ptitle, keys) in zip(axes[0], panels):
        for k in keys:
            vals = [h.get(k, float("nan")) for h in history]
            if any(v is not None and not (isinstance(v, float) and math.isnan(v)) for v in vals):
                ax.plot(ep, vals, label=k, lw=1.4)
        ax.set_title(ptitle, fontsize=10)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    tmp.replace(path)


# ----------------------------------------------------------------------------- VAE
_VAE_LOSSES = ("loss", "rec", "rec_ar", "kl", "pheno", "ancestry")  # history columns train_<name>


def _vae_params(params: dict | None) -> dict:
    """VAE_DEFAULTS overridden by ``params``; unknown names and a negative encoder_patience are errors."""
    p = {**VAE_DEFAULTS, **(params or {})}
    unknown = set(params or {}) - set(VAE_DEFAULTS)
    if unknown:
        raise ValueError(f"unknown vae params: {sorted(unknown)}")
    if int(p["encoder_patience"]) < 0:
        raise ValueError(f"vae.encoder_patience must be >= 0, not {int(p['encoder_patience'])}")
    return p


@dataclass
class _VAEData:
    """A VAE run's genotypes, imputed from the training split's allele frequencies, and its summaries."""
    Xtr: np.ndarray  # training genotypes, imputed
    Xva: np.ndarray  # validation genotypes, imputed
    obs_va: np.ndarray  # validation calls that were observed (the only ones scored)
    ytr: np.ndarray | None
    yva: np.ndarray | None
    af: np.ndarray  # training allele frequencies
    gf: np.ndarray  # training genotype frequencies (3, L)
    trivial: float  # validation accuracy of calling each SNP's most common training genotype
    clusters: dict  # ancestry clusters: n (K, 0 = none), train / val (each person's), genotype_freq (K, 3, L)


CLUSTER_KEYS = ("ancestry_clusters", "cluster_pcs", "cluster_min_size", "cluster_eigen_ratio")  # model.diffusion's cluster settings


def _vae_clusters(Xtr: np.ndarray, Xva: np.ndarray, settings: dict | None, seed: int) -> dict:
    """Ancestry clusters of the training people (a Gaussian mixture on their leading PCs,
    :func:`snpgen.structure.fit_ancestry_clusters`), the validation people's under the same fit, and
    each cluster's genotype frequencies; fitted once here and kept in the VAE checkpoint, so the
    diffusion is conditioned on the clusters the read-out was trained with."""
    s = {**{k: DIFFUSION_DEFAULTS[k] for k in CLUSTER_KEYS}, **(settings or {})}
    if int(s["ancestry_clusters"]) <= 1:
        return {"n": 0}
    fit = structure.fit_ancestry_clusters(Xtr, n_pcs=int(s["cluster_pcs"]), max_clusters=int(s["ancestry_clusters"]),
                                          min_size=int(s["cluster_min_size"]), seed=seed,
                                          min_eigen_ratio=float(s["cluster_eigen_ratio"]))
    if fit["n"] <= 1:
        return {"n": 0}
    return {"n": fit["n"], "train": fit["cluster"], "val": structure.assign_clusters(Xva, fit),
            "genotype_freq": structure.cluster_genotype_freqs(Xtr, fit["cluster"], fit["n"])}


def _vae_data(X_train, y_train, X_val, y_val, seed: int, clusters: dict | None = None) -> _VAEData:
    X_train = np.asarray(X_train, dtype=np.int8)
    X_val = np.asarray(X_val, dtype=np.int8)
    if X_val.shape[1] != X_train.shape[1]:
        raise ValueError(f"train has {X_train.shape[1]} SNPs, validation {X_val.shape[1]}")
    ytr, yva = _labels(y_train), _labels(y_val)
    af = allele_freqs(X_train)
    gf = genotype_freqs(X_train)
    rng = np.random.default_rng(seed)
    Xtr = impute_missing(X_train, af, rng)
    Xva = impute_missing(X_val, af, rng)
    obs_va = X_val >= 0
    mode = gf.argmax(0)
    trivial = float(((X_val == mode[None]) & obs_va).sum() / max(obs_va.sum(), 1))
    return _VAEData(Xtr, Xva, obs_va, ytr, yva, af, gf, trivial, _vae_clusters(Xtr, Xva, clusters, seed))


class _VAETraining:
    """A VAE run's moving parts: the model, its EMA, the optimiser and the seeded minibatch order."""

    def __init__(self, data: _VAEData, p: dict, seed: int, device: torch.device):
        self.p, self.device = p, device
        cl = data.clusters
        self.model = GenotypeVAE(data.Xtr.shape[1], p, data.gf, cl["n"], cl.get("genotype_freq")).to(device)
        self.cluster = torch.as_tensor(cl["train"]) if self.model.n_clusters else None
        self.cluster_va = cl["val"] if self.model.n_clusters else None
        pcs_tr, self.pcs_va = (ancestry_targets(data.Xtr, data.Xva, self.model.ancestry_pcs,
                                                cl if self.model.n_clusters and p["ancestry_within_cluster"] else None)
                               if self.model.ancestry_pcs else (None, None))
        self.ema = _EMA(self.model, p["ema_decay"])
        self.opt = torch.optim.AdamW(self.model.parameters(), lr=p["lr"], weight_decay=p["weight_decay"])
        self.n, self.bs = data.Xtr.shape[0], int(p["batch_size"])
        self.steps_per_epoch = max(1, math.ceil(self.n / self.bs))
        self.epochs = vae_epochs(p, self.n)
        self.total = self.steps_per_epoch * self.epochs
        self.g = torch.Generator().manual_seed(seed)
        self.X = torch.as_tensor(data.Xtr)
        self.y = torch.as_tensor(data.ytr if data.ytr is not None else np.full(self.n, -1))
        self.pcs = torch.as_tensor(pcs_tr) if pcs_tr is not None else None
        self.step = 0

    def train_epoch(self) -> dict[str, float]:
        """One pass over the training people in a seeded random order; the per-person mean of each loss."""
        self.model.train()
        perm = torch.randperm(self.n, generator=self.g)
        sums = dict.fromkeys(_VAE_LOSSES, 0.0)
        for b in range(self.steps_per_epoch):
            idx = perm[b * self.bs:(b + 1) * self.bs]
            if idx.numel() == 0:
                continue
            _cosine_lr(self.opt, self.p["lr"], self.step, self.total, warmup=min(50, self.total // 20))
            losses = self._losses(idx)
            _optimise(self.model, self.opt, self.ema, losses["loss"], self.p["grad_clip"])
            self.step += 1
            for k, v in losses.items():
                sums[k] += float(v.detach()) * idx.numel()
        return {k: v / self.n for k, v in sums.items()}

    def _losses(self, idx: torch.Tensor) -> dict[str, torch.Tensor]:
        """The minibatch's total loss and its terms, named as in _VAE_LOSSES."""
        model, device, p = self.model, self.device, self.p
        xb, yb = self.X[idx].to(device), self.y[idx].to(device)
        with autocast(device):
            mu, logvar = model.encode(one_hot(xb, model.padded))
            z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
            logits = model.decode(z, None if self.cluster is None else self.cluster[idx])
            plogit = model.head_logit(mu, z)
            anc_pred = model.ancestry(z) if self.pcs is not None else None
        mu, logvar = mu.float(), logvar.float()
        rec = F.cross_entropy(logits.float(), xb.long())
        if model.ar_lags:  # the read-out with the preceding SNPs' calls (teacher forcing)
            rec_ar = F.cross_entropy(model.ar_logits(logits.float(), xb), xb.long())
        else:
            rec_ar = torch.zeros((), device=device)
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).mean()
        lab = yb >= 0
        ph = (F.binary_cross_entropy_with_logits(plogit.float()[lab], yb[lab].float())
              if bool(lab.any()) else torch.zeros((), device=device))
        anc = (F.mse_loss(anc_pred.float(), self.pcs[idx].to(device)) if anc_pred is not None
               else torch.zeros((), device=device))
        loss = rec + rec_ar + p["kl_weight"] * kl + p["pheno_weight"] * ph + p["ancestry_weight"] * anc
        return {"loss": loss, "rec": rec, "rec_ar": rec_ar, "kl": kl, "pheno": ph, "ancestry": anc}

    def evaluate(self, data: _VAEData) -> tuple[torch.nn.Module, dict]:
        """The evaluated weights (the EMA's when enabled) and their validation metrics."""
        ev_model = self.ema.eval_model(self.model)
        return ev_model, _vae_eval(ev_model, data.Xva, data.obs_va, data.yva, self.device, pcs=self.pcs_va,
                                   cluster=self.cluster_va)

    def snapshot(self, ev_model: torch.nn.Module, ev_state: dict) -> dict:
        """What going back to this epoch needs: the training weights (the evaluated ones, ``ev_state``,
        unless they are the EMA's) and the optimiser state."""
        return {"model": _cpu_state(self.model) if ev_model is not self.model else ev_state,
                "opt": copy.deepcopy(self.opt.state_dict())}

    def go_back_and_freeze(self, snapshot: dict, ev_state: dict) -> None:
        """Restore a :meth:`snapshot` (and the EMA weights ``ev_state``); freeze the encoder and head."""
        self.model.load_state_dict(snapshot["model"])
        if self.ema.model is not None:
            self.ema.model.load_state_dict(ev_state)
        self.opt.load_state_dict(snapshot["opt"])
        for q in self.model.encoder_parameters():
            q.requires_grad_(False)


class _CheckpointChoice:
    """Which epoch a VAE run keeps, and when its encoder freezes (the rules in :func:`train_vae`).

    ``best``: the kept candidate so far (its evaluated weights, copied once). ``best_auc``: the epoch of the
    best validation phenotype-head AUC while the encoder is free, with a snapshot to go back to.
    ``frozen_at``: the epoch whose encoder was kept frozen; ``frozen_on``: the epoch that froze it (0 = not frozen).
    """

    def __init__(self, encoder_patience: int, log: Callable[[str], None]):
        self.encoder_patience, self.log = encoder_patience, log
        self.best = {"acc": -1.0, "score": -math.inf, "epoch": 0, "state": None, "metrics": {}}
        self.best_auc: dict = {"auc": -math.inf, "epoch": 0}
        self.frozen_at = self.frozen_on = 0

    def update(self, run: _VAETraining, row: dict, ev: dict, ev_model: torch.nn.Module) -> bool:
        """Judge the epoch of history ``row``; True when it is the new best (the log's star)."""
        epoch = row["epoch"]
        score = -ev["recon_ce_ar"] if run.model.ar_lags else ev["recon_acc"]
        improved = score > self.best["score"]
        # the AUC is watched while the encoder is free (NaN: no labels)
        watch_auc = bool(self.encoder_patience) and not self.frozen_at and not math.isnan(row["val_auc"])
        auc_up = watch_auc and row["val_auc"] > self.best_auc["auc"]
        if improved or auc_up:  # this epoch as a checkpoint candidate (evaluated weights, copied once)
            entry = {"acc": ev["recon_acc"], "score": score, "epoch": epoch, "state": _cpu_state(ev_model),
                     "metrics": row}
        if improved:
            self.best = entry
        if auc_up:  # snapshot to come back to; the training weights differ from entry's only with EMA
            self.best_auc = {"auc": row["val_auc"], "epoch": epoch, "entry": entry,
                             "snapshot": run.snapshot(ev_model, entry["state"])}
        elif watch_auc and epoch - self.best_auc["epoch"] >= self.encoder_patience:
            self._freeze(run, epoch)
            improved = False
        return improved

    def _freeze(self, run: _VAETraining, epoch: int) -> None:
        """Back to the best-AUC epoch, which becomes the kept one; the encoder and head stay there."""
        back = self.best_auc
        run.go_back_and_freeze(back["snapshot"], back["entry"]["state"])
        self.frozen_at, self.frozen_on = back["epoch"], epoch
        self.best = back["entry"]
        self.log(f"encoder frozen: back to epoch {self.frozen_at} (best validation phenotype-head AUC "
                 f"{back['auc']:.3f}); the decoder and read-out train on")
        self.best_auc = {k: back[k] for k in ("auc", "epoch")}  # drop the snapshot

    def should_stop(self, epoch: int, patience) -> bool:
        """Early stop: no better epoch for ``patience`` epochs (counted from the freeze, if later)."""
        return bool(patience) and epoch - max(self.best["epoch"], self.frozen_on) >= int(patience)


def _vae_row(epoch: int, train: dict, ev: dict, trivial: float, lr: float, t0: float, frozen: bool) -> dict:
    return {"epoch": epoch, **{f"train_{k}": v for k, v in train.items()},
            "val_recon_acc": ev["recon_acc"], "val_recon_ce": ev["recon_ce"],
            "val_recon_ce_ar": ev.get("recon_ce_ar", float("nan")),
            "val_trivial_acc": trivial, "val_auc": ev.get("auc", float("nan")),
            "val_ancestry_r2": ev.get("ancestry_r2", float("nan")),
            "lr": lr, "seconds": time.perf_counter() - t0, "encoder_frozen": int(frozen)}


def _vae_epoch_line(row: dict, model: GenotypeVAE, improved: bool) -> str:
    return (f"epoch {row['epoch']:3d}  loss {row['train_loss']:.4f}  rec {row['train_rec']:.4f}"
            f"  kl {row['train_kl']:.4f}  pheno {row['train_pheno']:.4f} | val acc {row['val_recon_acc']:.4f}"
            f" (trivial {row['val_trivial_acc']:.4f})  val ce {row['val_recon_ce']:.4f}"
            + (f" (autoregressive {row['val_recon_ce_ar']:.4f})" if model.ar_lags else "")
            + f"  val AUC {row['val_auc']:.3f}"
            + (f"  val ancestry R2 {row['val_ancestry_r2']:.3f}" if model.ancestry_pcs else "")
            + f"  {row['seconds']:.1f}s"
            + ("  *" if improved else ""))


def _vae_checkpoint(p: dict, data: _VAEData, run: _VAETraining, choice: _CheckpointChoice, seed: int,
                    config_hash: str | None) -> dict:
    best = choice.best
    return {
        "kind": VAE_KIND, "format": FORMAT_VERSION, "params": p, "n_snps": data.Xtr.shape[1],
        "latent_shape": list(run.model.latent_shape), "model": best["state"],
        "allele_freq": torch.as_tensor(data.af, dtype=torch.float64),
        "genotype_freq": torch.as_tensor(data.gf, dtype=torch.float64),
        "n_train": int(run.n), "n_val": int(data.Xva.shape[0]), "train_case_fraction": _case_fraction(data.ytr),
        "best_epoch": best["epoch"], "encoder_frozen_epoch": choice.frozen_at or None,
        "val_recon_acc": best["acc"], "val_trivial_acc": data.trivial,
        "val_auc": best["metrics"].get("val_auc"), "seed": int(seed), "config_hash": config_hash,
        "clusters": _checkpoint_clusters(data.clusters, run.model.n_clusters),
        "versions": package_versions(), "device": run.device.type,
    }


def _checkpoint_clusters(clusters: dict, used: int) -> dict:
    """What the checkpoint keeps of the clusters: K, the training people's (for the diffusion's
    conditions) and whether the read-out uses them."""
    if not clusters["n"]:
        return {"n": 0}
    return {"n": clusters["n"], "train": torch.as_tensor(clusters["train"]), "readout": bool(used)}


def train_vae(X_train: np.ndarray, y_train, X_val: np.ndarray, y_val, params: dict, seed: int,
              device="auto", log: Callable[[str], None] = print, config_hash: str | None = None,
              clusters: dict | None = None) -> tuple[dict, list[dict]]:
    """Train the genotype VAE; returns (checkpoint state, per-epoch history).

    X_*: int8 (N, L) 0/1/2 with -1 missing (imputed by Binomial(2, training AF), seeded).
    y_*: 0/1 labels, -1 (or anything else) = missing (excluded from the label loss / AUC).
    Checkpoint selection (EMA weights when enabled): best validation reconstruction accuracy; with
    the autoregressive read-out, lowest validation cross-entropy of that read-out (the likelihood of
    the model calls are drawn from; the plain accuracy can stall while the read-out still learns).
    With ``encoder_patience``, once the validation phenotype-head AUC has not improved for that many
    epochs the model (and optimiser) go back to the epoch of the best AUC, the encoder and head are
    frozen there (the latent stops fitting the training labels past what generalises) and the decoder and
    read-out train on; the checkpoint is then chosen among the epochs from that one on.
    Each history row says whether the encoder was frozen (``encoder_frozen``) and which epoch was
    kept (``kept`` = 1 on that row), so readers need not re-derive the rule.
    ``clusters``: the ancestry-cluster settings (:data:`CLUSTER_KEYS`, model.diffusion's; its defaults if
    absent): the clusters are fitted here, used by the cluster read-out and kept for the diffusion.
    """
    p = _vae_params(params)
    device = _as_device(device)
    seed_everything(seed)
    data = _vae_data(X_train, y_train, X_val, y_val, seed, clusters)
    run = _VAETraining(data, p, seed, device)
    m = run.model
    log(f"VAE: {run.n} train / {data.Xva.shape[0]} val individuals, {data.Xtr.shape[1]} SNPs, latent "
        f"{m.latent_channels}x{m.latent_len}, {sum(q.numel() for q in m.parameters())} parameters, device "
        f"{device.type}; trivial val accuracy {data.trivial:.4f}; {data.clusters['n'] or 'no'} ancestry cluster(s)"
        + (" with a cluster read-out" if m.n_clusters else ""))
    history: list[dict] = []
    choice = _CheckpointChoice(int(p["encoder_patience"]), log)
    for epoch in range(1, run.epochs + 1):
        t0 = time.perf_counter()
        train = run.train_epoch()
        ev_model, ev = run.evaluate(data)
        row = _vae_row(epoch, train, ev, data.trivial, run.opt.param_groups[0]["lr"], t0, bool(choice.frozen_at))
        history.append(row)
        improved = choice.update(run, row, ev, ev_model)
        log(_vae_epoch_line(row, run.model, improved))
        if choice.should_stop(epoch, p["patience"]):
            log(f"early stop: no validation improvement for {p['patience']} epochs")
            break
    best = choice.best
    for r in history:
        r["kept"] = int(r["epoch"] == best["epoch"])
    log(f"best epoch {best['epoch']}: val recon acc {best['acc']:.4f} vs trivial {data.trivial:.4f}, "
        f"val AUC {best['metrics'].get('val_auc', float('nan')):.3f}")
    return _vae_checkpoint(p, data, run, choice, seed, config_hash), history


# ----------------------------------------------------------------------------- diffusion
def _conditions(X: np.ndarray, ytr: np.ndarray | None, p: dict, seed: int, log: Callable[[str], None],
                vae_clusters: dict | None = None) -> tuple[torch.Tensor, dict]:
    """Condition codes of the training people (label, and ancestry cluster when
    ``ancestry_clusters`` > 1) and the cluster summary the sampler needs (K, per-class shares).
    The clusters are the VAE's (``vae_clusters``, fitted in :func:`train_vae`) when it has them."""
    labels = np.where(ytr >= 0, ytr, NULL_LABEL) if ytr is not None else np.full(len(X), NULL_LABEL)
    if vae_clusters is None:  # a VAE checkpoint from before the clusters moved there: fit them as train_vae does
        vae_clusters = _vae_clusters(X, X, {k: p[k] for k in CLUSTER_KEYS}, seed)
    if int(vae_clusters.get("n", 0)) <= 1:  # the VAE found none (e.g. a homogeneous cohort): none here either
        return torch.as_tensor(labels), {"n": 0}
    cl, k = np.asarray(vae_clusters["train"]), int(vae_clusters["n"])
    shares = structure.cluster_shares(cl, labels, k)
    log(f"diffusion: {k} ancestry cluster(s) on {p['cluster_pcs']} PCs, shares "
        + ", ".join(f"{s:.3f}" for s in shares["all"]))
    if k <= 1:
        return torch.as_tensor(labels), {"n": 0}
    return condition_code(torch.as_tensor(labels), torch.as_tensor(cl)), {"n": k, "shares": shares}


def _diffusion_params(params: dict | None) -> dict:
    p = {**DIFFUSION_DEFAULTS, **(params or {})}
    unknown = set(params or {}) - set(DIFFUSION_DEFAULTS)
    if unknown:
        raise ValueError(f"unknown diffusion params: {sorted(unknown)}")
    return p


def _diffusion_latents(vae_state: dict, X_train: np.ndarray, seed: int, device
                       ) -> tuple[np.ndarray, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Imputed training genotypes, their standardised VAE posterior means, that mean and SD, and
    the posterior SDs on the standardised scale."""
    X_train = np.asarray(X_train, dtype=np.int8)
    if X_train.shape[1] != int(vae_state["n_snps"]):
        raise ValueError(f"VAE was trained on {vae_state['n_snps']} SNPs, training data has {X_train.shape[1]}")
    vae = build_vae(vae_state, device)
    af = vae_state["allele_freq"].numpy()
    Xtr = impute_missing(X_train, af, np.random.default_rng(seed))
    mu, sd = encode_posterior(vae, Xtr, device)
    mean = mu.mean(0)
    std = mu.std(0).clamp_min(1e-4)
    return Xtr, ((mu - mean) / std).contiguous(), mean, std, (sd / std).contiguous()


class _DiffusionTraining:
    """A diffusion run's moving parts: denoiser, EMA, optimiser, the seeded minibatch stream (with label
    dropout) and a fixed evaluation batch (same t and noise every epoch: a low-variance progress metric)."""

    def __init__(self, z: torch.Tensor, y: torch.Tensor, n_clusters: int, p: dict, seed: int, device,
                 z_sd: torch.Tensor | None = None):
        self.z, self.y, self.p, self.device = z, y, p, device
        self.noise, self.z_sd = float(p["latent_noise"]), z_sd  # posterior SDs on z's scale (latent_noise)
        self.model = build_denoiser(tuple(z.shape[1:]), p, n_clusters).to(device)
        self.diff = GaussianDiffusion(p["timesteps"], p["schedule"], p["gaussian_skip"])
        self.ema = _EMA(self.model, p["ema_decay"])
        self.opt = torch.optim.AdamW(self.model.parameters(), lr=p["lr"], weight_decay=p["weight_decay"])
        self.g = torch.Generator().manual_seed(seed)
        self.n, self.bs = z.shape[0], min(int(p["batch_size"]), z.shape[0])
        self.total = int(p["epochs"]) * int(p["steps_per_epoch"])
        ge = torch.Generator().manual_seed(seed + 1)
        ne = min(512, self.n)
        self.ev_idx = torch.randperm(self.n, generator=ge)[:ne]
        self.ev_t = torch.randint(0, self.diff.T, (ne,), generator=ge)
        self.ev_noise = torch.randn((ne, *z.shape[1:]), generator=ge)
        self.ev_x = self.diff.q_sample(z[self.ev_idx], self.ev_t, self.ev_noise).to(device)
        self.perm, self.pos = torch.randperm(self.n, generator=self.g), 0
        self.step = 0

    def _batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The next minibatch (a fresh seeded order when the current one runs out), labels dropped at random."""
        if self.pos + self.bs > self.n:
            self.perm, self.pos = torch.randperm(self.n, generator=self.g), 0
        idx = self.perm[self.pos:self.pos + self.bs]
        self.pos += self.bs
        xb = self.z[idx]
        if self.noise > 0:  # a draw from each person's posterior, not its mean
            xb = xb + self.noise * self.z_sd[idx] * torch.randn(xb.shape, generator=self.g)
        xb = xb.to(self.device)
        yb = self.y[idx].clone()
        drop = torch.rand(len(idx), generator=self.g) < self.p["label_dropout"]
        yb[drop] = drop_label(yb[drop])
        return xb, yb

    def train_epoch(self) -> float:
        """``steps_per_epoch`` optimiser steps; their mean loss."""
        p = self.p
        self.model.train()
        tot = 0.0
        for _ in range(int(p["steps_per_epoch"])):
            xb, yb = self._batch()
            _cosine_lr(self.opt, p["lr"], self.step, self.total, warmup=min(200, self.total // 10))
            with autocast(self.device):
                loss = self.diff.loss(self.model, xb, yb.to(self.device), generator=self.g)
            _optimise(self.model, self.opt, self.ema, loss, p["grad_clip"])
            self.step += 1
            tot += float(loss.detach())
        return tot / int(p["steps_per_epoch"])

    def eval_losses(self) -> tuple[float, float]:
        """The evaluated (EMA) weights' loss on the fixed batch, with its labels and without."""
        em = self.ema.eval_model(self.model).eval()
        t, noise = self.ev_t.to(self.device), self.ev_noise.to(self.device)
        with torch.no_grad(), autocast(self.device):
            ev_y = self.y[self.ev_idx].to(self.device)
            e_c = F.mse_loss(self.diff.eps(em, self.ev_x, t, ev_y), noise)
            e_u = F.mse_loss(self.diff.eps(em, self.ev_x, t, drop_label(ev_y)), noise)
        return float(e_c), float(e_u)


def train_diffusion(vae_state: dict, X_train: np.ndarray, y_train, params: dict, seed: int,
                    device="auto", log: Callable[[str], None] = print, config_hash: str | None = None
                    ) -> tuple[dict, list[dict]]:
    """Train the label-conditional latent DDPM on standardised VAE posterior means of X_train."""
    p = _diffusion_params(params)
    device = _as_device(device)
    seed_everything(seed)
    Xtr, z, mean, std, z_sd = _diffusion_latents(vae_state, X_train, seed, device)
    ytr = _labels(y_train)
    y, clusters = _conditions(Xtr, ytr, p, seed, log, vae_state.get("clusters"))
    run = _DiffusionTraining(z, y, clusters["n"], p, seed, device, z_sd)
    log(f"diffusion: {run.n} training latents of shape {tuple(z.shape[1:])}, {int((y % N_LABELS == 1).sum())} cases, "
        f"{int((y % N_LABELS == NULL_LABEL).sum())} unlabelled; {p['denoiser']} denoiser with "
        f"{sum(q.numel() for q in run.model.parameters())} parameters; device {device.type}"
        + (f"; latents drawn from the posterior ({p['latent_noise']} SDs)" if float(p["latent_noise"]) > 0 else ""))
    history: list[dict] = []
    for epoch in range(1, int(p["epochs"]) + 1):
        t0 = time.perf_counter()
        loss = run.train_epoch()
        e_c, e_u = run.eval_losses()
        row = {"epoch": epoch, "step": run.step, "train_loss": loss, "eval_loss_cond": e_c, "eval_loss_uncond": e_u,
               "lr": run.opt.param_groups[0]["lr"], "seconds": time.perf_counter() - t0}
        history.append(row)
        log(f"epoch {epoch:3d}  step {run.step}  loss {loss:.4f}  eval loss (EMA) cond {e_c:.4f} uncond {e_u:.4f}"
            f"  {row['seconds']:.1f}s")
    state = {
        "kind": DIFFUSION_KIND, "format": FORMAT_VERSION, "params": p, "n_snps": int(vae_state["n_snps"]),
        "latent_shape": list(z.shape[1:]), "model": _cpu_state(run.ema.eval_model(run.model)),
        "latent_mean": mean.clone(), "latent_std": std.clone(), "n_train": int(run.n), "clusters": clusters,
        "train_case_fraction": _case_fraction(ytr),
        "seed": int(seed), "config_hash": config_hash, "vae_config_hash": vae_state.get("config_hash"),
        "versions": package_versions(), "device": device.type,
    }
    if int(p["check_samples"]) > 0:
        state["guidance_check"] = guidance_check(vae_state, state, device, seed=seed,
                                                 n_per_class=int(p["check_samples"]), log=log)
    return state, history


@torch.no_grad()
def guidance_check(vae_state: dict, diff_state: dict, device, seed: int = 0, n_per_class: int = 256,
                   scales=(0.0, 1.0, 2.0, 3.0, 5.0), steps: int = 25, clip_x0: float = 5.0,
                   log: Callable[[str], None] = print) -> dict:
    """Does conditioning work? Sample latents per class at several guidance scales and score them
    with the VAE phenotype head: mean predicted case probability per class and the head's AUC
    for the requested labels (0.5 = the label is ignored)."""
    device = _as_device(device)
    vae = build_vae(vae_state, device)
    model, diff = build_diffusion(diff_state, device)
    mean, std = diff_state["latent_mean"].to(device), diff_state["latent_std"].to(device)
    labels = np.repeat([0, 1], n_per_class)
    out = {}
    for s in scales:
        y = condition_codes(labels, diff_state, seed, by_class=float(s) > 0).to(device)
        g = torch.Generator().manual_seed(seed)
        with autocast(device):
            zs = diff.sample(model, (len(y), *diff_state["latent_shape"]), y, guidance_scale=float(s),
                             sampler="ddim", steps=steps, generator=g, clip_x0=clip_x0)
            prob = torch.sigmoid(vae.pheno_logit(zs.float() * std + mean).float()).cpu().numpy()
        yn = labels
        out[str(s)] = {"auc": _auc(yn, prob), "p_case_given_case": float(prob[yn == 1].mean()),
                       "p_case_given_control": float(prob[yn == 0].mean())}
        log(f"guidance {s}: phenotype-head AUC on requested labels {out[str(s)]['auc']:.3f}, mean P(case) "
            f"cases {out[str(s)]['p_case_given_case']:.3f} / controls {out[str(s)]['p_case_given_control']:.3f}")
    return out


def condition_codes(labels: np.ndarray, diff_state: dict, seed: int, by_class: bool = True) -> torch.Tensor:
    """Condition codes for synthetic people with these labels: with ancestry clusters, each
    person's cluster is drawn from the training split's shares of its class (``by_class``) or
    of everyone (label-free sampling, guidance scale 0: the cluster must not carry the label)."""
    y = torch.as_tensor(np.asarray(labels, dtype=np.int64))
    clusters = diff_state.get("clusters", {"n": 0})
    if clusters["n"] <= 1:
        return y
    shares = clusters["shares"] if by_class else {"all": clusters["shares"]["all"]}
    return condition_code(y, torch.as_tensor(structure.draw_clusters(np.asarray(labels), shares, seed)))


# ----------------------------------------------------------------------------- file level
def _save(state: dict, path: str | Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    torch.save(state, tmp)
    tmp.replace(path)


def _write_history(history: list[dict], path: str | Path) -> None:
    import polars as pl

    from ..io import write_tsv

    write_tsv(path, pl.DataFrame(history))


def train_vae_files(train_bed: str, val_bed: str, ckpt: str, history_tsv: str, curve_png: str,
                    params: dict | None = None, seed: int = 1, config_hash: str | None = None,
                    device: str = "auto", threads: int = 1, log: Callable[[str], None] = print,
                    clusters: dict | None = None) -> dict:
    """Read the train/validation PLINK filesets, train the VAE, write checkpoint, history, curve."""
    from ..io import read_bim, read_genotypes

    torch.set_num_threads(max(1, int(threads)))
    tr, va = bed_prefix(train_bed), bed_prefix(val_bed)
    ids_tr, ids_va = read_bim(tr)["ID"].to_list(), read_bim(va)["ID"].to_list()
    if ids_tr != ids_va:
        raise ValueError("train and validation filesets have different variants")
    state, hist = train_vae(read_genotypes(tr), fam_labels(tr), read_genotypes(va), fam_labels(va),
                            params or {}, seed, device, log, config_hash=config_hash, clusters=clusters)
    state["snp_ids"] = ids_tr
    _save(state, ckpt)
    _write_history(hist, history_tsv)
    plot_history(hist, curve_png, [
        ("training loss", ["train_loss", "train_rec"] + (["train_rec_ar"] if state["params"].get("ar_lags") else [])),
        ("KL / phenotype loss", ["train_kl", "train_pheno"]),
        ("validation reconstruction accuracy", ["val_recon_acc", "val_trivial_acc"]),
        ("validation phenotype-head AUC", ["val_auc"]),
    ], f"VAE ({state['n_snps']} SNPs, best epoch {state['best_epoch']})")
    return state


def train_diffusion_files(vae_ckpt: str, train_bed: str, ckpt: str, history_tsv: str, curve_png: str,
                          params: dict | None = None, seed: int = 1, config_hash: str | None = None,
                          device: str = "auto", threads: int = 1, log: Callable[[str], None] = print) -> dict:
    from ..io import read_bim, read_genotypes

    torch.set_num_threads(max(1, int(threads)))
    vae_state = load_checkpoint(vae_ckpt, VAE_KIND)
    tr = bed_prefix(train_bed)
    ids = read_bim(tr)["ID"].to_list()
    if vae_state.get("snp_ids") is not None and list(vae_state["snp_ids"]) != ids:
        raise ValueError(f"{train_bed}: variants differ from those the VAE was trained on")
    state, hist = train_diffusion(vae_state, read_genotypes(tr), fam_labels(tr), params or {}, seed, device,
                                  log, config_hash=config_hash)
    state["snp_ids"] = ids
    _save(state, ckpt)
    _write_history(hist, history_tsv)
    plot_history(hist, curve_png, [
        ("training loss (epsilon MSE)", ["train_loss"]),
        ("fixed-batch eval loss (EMA)", ["eval_loss_cond", "eval_loss_uncond"]),
    ], f"latent diffusion ({state['params']['denoiser']}, {hist[-1]['step'] if hist else 0} steps)")
    return state

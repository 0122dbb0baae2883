"""Genotype VAE: 1-D convolutional encoder/decoder over SNPs in genomic order.

Input: 0/1/2 genotypes of L SNPs as one-hot (N, 3, L). Output: categorical logits (N, 3, L).

Two choices differ from a plain image-style conv VAE and are what let it converge on CPU:

* **per-SNP input embedding and per-SNP output head.** Convolutions share weights across
  positions, but SNPs are not exchangeable (each has its own allele frequencies and LD
  partners). The first layer maps each SNP's genotype to its own learned C0-vector
  (a locally connected 1x1 layer), and the last layer is a per-SNP linear read-out whose
  bias starts at the log genotype frequencies, so training starts at the trivial
  "marginal genotype" solution and only has to learn the LD-driven deviations from it.
* **cheap on CPU.** A patch stem (kernel = stride = ``patch`` SNPs) takes the sequence straight
  to a coarse resolution, so no convolution runs at per-SNP resolution; ``len(channels) - 1``
  further stride-2 stages give a latent of length ceil(L / (patch * 2**(len(channels)-1))) with
  ``latent_channels`` channels. L is padded to a multiple of that factor; padded positions are
  ignored by the loss.

The phenotype head (small MLP on the flattened posterior mean) gives the auxiliary label
loss that makes the representation phenotype-supervised.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

VAE_DEFAULTS: dict = {
    "embed_dim": 8,                # per-SNP genotype embedding width (C0)
    "patch": 8,                    # SNPs merged by the stem (kernel = stride = patch)
    "channels": [32, 64],          # widths of the conv stages after the stem; a stride-2 step between stages
    "latent_channels": 8,          # latent channels; latent length = ceil(L / (patch * 2**(len(channels)-1)))
    "res_blocks": 1,               # residual blocks per stage
    "attention": False,            # self-attention block at the latent resolution
    "dropout": 0.1,                # dropout inside residual blocks
    "kl_weight": 0.01,             # weight of the KL term, per latent element, relative to the per-SNP CE
    "pheno_weight": 0.5,           # weight of the auxiliary phenotype BCE loss
    "pheno_hidden": 64,            # hidden units of the phenotype head MLP (0 = a linear head)
    "pheno_input": "mu",           # the head reads the posterior mean ("mu") or a sampled latent ("z")
    "pheno_dropout": 0.3,          # dropout before/inside the phenotype head
    "epochs": 30,                  # maximum training epochs
    "batch_size": 64,              # minibatch size
    "lr": 2e-3,                    # AdamW learning rate (cosine decay to 5% over `epochs`)
    "weight_decay": 1e-4,          # AdamW weight decay
    "patience": 15,                # early stop after this many epochs without val recon improvement
    "ema_decay": 0.0,              # EMA of weights (0 = off); checkpoint/validation use the EMA weights
    "grad_clip": 1.0,              # gradient-norm clip (0 = off)
}


def allele_freqs(X: np.ndarray) -> np.ndarray:
    """ALT allele frequency per SNP over observed calls (-1 = missing); 0.5 where nothing is observed."""
    obs = X >= 0
    n = obs.sum(0)
    s = np.where(obs, X, 0).sum(0, dtype=np.int64)
    return np.where(n > 0, s / np.maximum(2 * n, 1), 0.5)


def impute_missing(X: np.ndarray, af: np.ndarray, seed: int | np.random.Generator) -> np.ndarray:
    """Replace -1 by a Binomial(2, af_j) draw (af from the training split), reproducibly."""
    X = np.asarray(X, dtype=np.int8)
    miss = X < 0
    if not miss.any():
        return X.copy()
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    out = X.copy()
    cols = np.nonzero(miss)[1]
    out[miss] = rng.binomial(2, np.clip(af[cols], 0.0, 1.0)).astype(np.int8)
    return out


def one_hot(G: torch.Tensor, length: int | None = None) -> torch.Tensor:
    """int (N, L) genotypes 0/1/2 -> float one-hot (N, 3, length); padded positions all-zero."""
    n, L = G.shape
    length = length or L
    oh = torch.zeros(n, 3, length, dtype=torch.float32, device=G.device)
    oh[:, :, :L] = F.one_hot(G.long().clamp(0, 2), 3).permute(0, 2, 1).float()
    return oh


def _groups(c: int) -> int:
    for g in (8, 4, 2, 1):
        if c % g == 0:
            return g
    return 1


class ResBlock1d(nn.Module):
    def __init__(self, cin: int, cout: int, dropout: float = 0.0):
        super().__init__()
        self.n1 = nn.GroupNorm(_groups(cin), cin)
        self.c1 = nn.Conv1d(cin, cout, 3, padding=1)
        self.n2 = nn.GroupNorm(_groups(cout), cout)
        self.drop = nn.Dropout(dropout)
        self.c2 = nn.Conv1d(cout, cout, 3, padding=1)
        self.skip = nn.Conv1d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x):
        h = self.c1(F.silu(self.n1(x)))
        h = self.c2(self.drop(F.silu(self.n2(h))))
        return self.skip(x) + h


class Attention1d(nn.Module):
    def __init__(self, c: int, heads: int = 4):
        super().__init__()
        heads = heads if c % heads == 0 else 1
        self.norm = nn.GroupNorm(_groups(c), c)
        self.attn = nn.MultiheadAttention(c, heads, batch_first=True)

    def forward(self, x):
        h = self.norm(x).transpose(1, 2)
        h, _ = self.attn(h, h, h, need_weights=False)
        return x + h.transpose(1, 2)


class GenotypeVAE(nn.Module):
    def __init__(self, n_snps: int, params: dict, genotype_freq: np.ndarray | None = None):
        super().__init__()
        p = {**VAE_DEFAULTS, **(params or {})}
        ch = [int(c) for c in p["channels"]]
        if len(ch) < 1:
            raise ValueError("vae.channels needs at least one entry")
        self.n_snps = int(n_snps)
        self.patch = int(p["patch"])
        c0 = int(p["embed_dim"])
        self.factor = self.patch * 2 ** (len(ch) - 1)
        self.padded = int(math.ceil(self.n_snps / self.factor) * self.factor)
        self.latent_len = self.padded // self.factor
        self.latent_channels = int(p["latent_channels"])
        drop = float(p["dropout"])
        nres = int(p["res_blocks"])
        Lp = self.padded

        # per-SNP genotype embedding (a locally connected 1x1 layer), then a patch stem
        self.embed = nn.Parameter(torch.randn(3, c0, Lp))
        enc: list[nn.Module] = [nn.Conv1d(c0, ch[0], self.patch, stride=self.patch)]
        for i in range(len(ch)):
            for _ in range(nres):
                enc.append(ResBlock1d(ch[i], ch[i], drop))
            if i < len(ch) - 1:
                enc.append(nn.Conv1d(ch[i], ch[i + 1], 4, stride=2, padding=1))
        cm = ch[-1]
        if p["attention"]:
            enc.append(Attention1d(cm))
        enc += [nn.GroupNorm(_groups(cm), cm), nn.SiLU(), nn.Conv1d(cm, 2 * self.latent_channels, 1)]
        self.encoder = nn.Sequential(*enc)

        dec: list[nn.Module] = [nn.Conv1d(self.latent_channels, cm, 3, padding=1)]
        if p["attention"]:
            dec.append(Attention1d(cm))
        for i in reversed(range(len(ch))):
            for _ in range(nres):
                dec.append(ResBlock1d(ch[i], ch[i], drop))
            if i > 0:
                dec += [nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv1d(ch[i], ch[i - 1], 3, padding=1)]
        dec += [nn.GroupNorm(_groups(ch[0]), ch[0]), nn.SiLU(),
                nn.ConvTranspose1d(ch[0], c0, self.patch, stride=self.patch), nn.SiLU()]
        self.decoder = nn.Sequential(*dec)
        # per-SNP read-out; bias starts at log genotype frequencies (the trivial solution)
        self.head_w = nn.Parameter(torch.randn(3, c0, Lp) * (0.1 / math.sqrt(c0)))
        bias = torch.zeros(3, Lp)
        if genotype_freq is not None:
            gf = np.asarray(genotype_freq, dtype=np.float64)  # (3, L)
            bias[:, : self.n_snps] = torch.as_tensor(np.log(np.clip(gf, 1e-4, 1.0)), dtype=torch.float32)
        self.head_b = nn.Parameter(bias)

        zdim = self.latent_channels * self.latent_len
        pd = float(p["pheno_dropout"])
        ph = int(p["pheno_hidden"])
        if p["pheno_input"] not in ("mu", "z"):
            raise ValueError(f"vae.pheno_input must be 'mu' or 'z', not {p['pheno_input']!r}")
        self.pheno_input = p["pheno_input"]
        self.pheno_head = (nn.Sequential(nn.Dropout(pd), nn.Linear(zdim, 1)) if ph == 0 else nn.Sequential(
            nn.Dropout(pd), nn.Linear(zdim, ph), nn.SiLU(), nn.Dropout(pd), nn.Linear(ph, 1)))

    @property
    def latent_shape(self) -> tuple[int, int]:
        return (self.latent_channels, self.latent_len)

    def encode(self, x_onehot: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """one-hot (N, 3, L or padded) -> (mu, logvar), each (N, latent_channels, latent_len)."""
        if x_onehot.shape[-1] != self.padded:
            x_onehot = F.pad(x_onehot, (0, self.padded - x_onehot.shape[-1]))
        h = (x_onehot[:, 0:1] * self.embed[0] + x_onehot[:, 1:2] * self.embed[1]
             + x_onehot[:, 2:3] * self.embed[2])
        mu, logvar = self.encoder(h).chunk(2, dim=1)
        return mu, logvar.clamp(-12.0, 6.0)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """latent (N, latent_channels, latent_len) -> genotype logits (N, 3, n_snps)."""
        h = self.decoder(z)
        h = h.float()
        logits = torch.stack([(h * self.head_w[g]).sum(1) for g in range(3)], dim=1) + self.head_b
        return logits[:, :, : self.n_snps]

    def pheno_logit(self, mu: torch.Tensor) -> torch.Tensor:
        return self.pheno_head(mu.flatten(1)).squeeze(1)

    def forward(self, x_onehot: torch.Tensor, sample: bool = True):
        mu, logvar = self.encode(x_onehot)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar) if sample else mu
        return self.decode(z), mu, logvar, self.pheno_logit(z if self.pheno_input == "z" else mu)

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

The phenotype head (small MLP, or a linear layer, on the flattened posterior mean or a sampled
latent) gives the auxiliary label loss that makes the representation phenotype-supervised.

**Global latent** (``global_tokens`` = G > 0): G extra latent positions after the local ones
(``latent_channels`` values each), read from the mean-pooled encoder features of all SNPs and fed
to every decoder position and, through a per-SNP linear term, to every SNP's read-out. Local
latents and the read-out only see a window of SNPs, so genome-wide correlation (ancestry) had no
place to live: on a three-continent cohort the synthetic people formed one blob between the real
clusters. An auxiliary head (``ancestry_pcs``, ``ancestry_weight``) makes the global latent predict
the leading PCs of the training split's own selected SNPs (computed inside training: no labels and
no data beyond the training split), as the phenotype head does for the label; the diffusion then
learns the joint distribution of local and global latents, so clusters come out in their shares.
Measured on the 3-population demo (benchmarks/README section 3, session 7): PC1-PC2 distance to
real 0.44 / 0.29 SD without the global latent, 0.37 / 0.34 with it but without the head, 0.09 /
0.11 with both (weight 0.1); a weight of 1.0 froze the encoder early on ancestry and cost utility.

**Cluster read-out** (``cluster_readout``, with ``model.diffusion.ancestry_clusters``): the training
split's ancestry clusters (a Gaussian mixture on its leading PCs, :mod:`snpgen.structure`; no labels)
are fitted once, at the start of VAE training, and each cluster gets a per-SNP term in the read-out's
logits that starts at the cluster's own genotype frequencies. A person is decoded with its cluster,
and a synthetic person with the cluster the diffusion was conditioned on (drawn in the training
split's per-class shares). Without it, whether a synthetic person lands in its population depended on
how much ancestry the latent kept, which varied with the training seed: two of four trainings lost
the 10 % population (benchmarks/README.md section 3, sessions 8-9).

**Autoregressive read-out** (``ar_lags`` = K > 0): the logit of genotype b at SNP j also gets
``ar_w[k-1, a, b, j]`` when SNP j-k carries genotype a (k = 1..K), so calls are no longer
independent given the latent. Trained by teacher forcing next to the plain read-out (both
cross-entropies in the loss, so the latent still has to explain the genotypes on its own and the
reconstruction accuracy stays comparable with the trivial level); sampled left to right
(:func:`sample_calls`). Measured on the demo's t2d SNPs (benchmarks/README.md, ablations): mean r2
of adjacent selected SNPs is 0.147 in the real training split; the independent read-out gave 0.100
when decoding real posterior means and 0.054 from diffusion latents; with the read-out (16 lags then; 32 by default since session 6)
and a KL weight of 1 (local LD left to the read-out, a smoother latent the diffusion can learn)
synthetic cohorts reach 0.090.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ..defaults import schema_defaults
from ..genotypes import allele_freqs, impute_missing  # noqa: F401  (torch-free; re-exported here)

# The VAE parameters (config["model"]["vae"]) and their defaults: the schema's (each key described in
# workflow/schemas/config.schema.yaml and config/README.md).
VAE_DEFAULTS: dict = schema_defaults("model", "vae")


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


def _encoder_layers(c0: int, ch: list[int], patch: int, nres: int, drop: float, attention: bool,
                    latent_channels: int) -> list[nn.Module]:
    """Patch stem, residual stages (a stride-2 step between them), optional attention, then the
    (mu, logvar) projection of the local latent."""
    enc: list[nn.Module] = [nn.Conv1d(c0, ch[0], patch, stride=patch)]
    for i in range(len(ch)):
        for _ in range(nres):
            enc.append(ResBlock1d(ch[i], ch[i], drop))
        if i < len(ch) - 1:
            enc.append(nn.Conv1d(ch[i], ch[i + 1], 4, stride=2, padding=1))
    cm = ch[-1]
    if attention:
        enc.append(Attention1d(cm))
    return enc + [nn.GroupNorm(_groups(cm), cm), nn.SiLU(), nn.Conv1d(cm, 2 * latent_channels, 1)]


def _decoder_layers(c0: int, ch: list[int], patch: int, nres: int, drop: float, attention: bool,
                    latent_channels: int) -> list[nn.Module]:
    """The encoder's mirror: latent projection, optional attention, residual stages (upsampling
    between them), then a transposed patch stem back to per-SNP features."""
    cm = ch[-1]
    dec: list[nn.Module] = [nn.Conv1d(latent_channels, cm, 3, padding=1)]
    if attention:
        dec.append(Attention1d(cm))
    for i in reversed(range(len(ch))):
        for _ in range(nres):
            dec.append(ResBlock1d(ch[i], ch[i], drop))
        if i > 0:
            dec += [nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv1d(ch[i], ch[i - 1], 3, padding=1)]
    return dec + [nn.GroupNorm(_groups(ch[0]), ch[0]), nn.SiLU(),
                  nn.ConvTranspose1d(ch[0], c0, patch, stride=patch), nn.SiLU()]


def _pheno_head(zdim: int, hidden: int, dropout: float) -> nn.Sequential:
    """Phenotype head on the flattened latent: linear (``hidden`` 0) or a one-hidden-layer MLP."""
    if hidden == 0:
        return nn.Sequential(nn.Dropout(dropout), nn.Linear(zdim, 1))
    return nn.Sequential(nn.Dropout(dropout), nn.Linear(zdim, hidden), nn.SiLU(), nn.Dropout(dropout),
                         nn.Linear(hidden, 1))


class GenotypeVAE(nn.Module):
    def __init__(self, n_snps: int, params: dict, genotype_freq: np.ndarray | None = None, n_clusters: int = 0,
                 cluster_freq: np.ndarray | None = None):
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
        self.local_len = self.padded // self.factor
        self.global_tokens = int(p["global_tokens"])
        if self.global_tokens < 0:
            raise ValueError(f"vae.global_tokens must be >= 0, not {self.global_tokens}")
        self.latent_len = self.local_len + self.global_tokens
        self.latent_channels = int(p["latent_channels"])
        drop = float(p["dropout"])
        nres = int(p["res_blocks"])
        Lp = self.padded

        # per-SNP genotype embedding (a locally connected 1x1 layer), then a patch stem
        self.embed = nn.Parameter(torch.randn(3, c0, Lp))
        self.encoder = nn.Sequential(*_encoder_layers(c0, ch, self.patch, nres, drop, bool(p["attention"]),
                                                      self.latent_channels))
        cm = ch[-1]
        gdim = self.latent_channels * self.global_tokens
        if p["global_encoder"] not in ("pooled", "dosage"):
            raise ValueError(f"vae.global_encoder must be 'pooled' or 'dosage', not {p['global_encoder']!r}")
        self.global_from_dosage = p["global_encoder"] == "dosage"
        if gdim:  # global latent: mean-pooled encoder features (or all dosages) -> (mu, logvar) of gdim values
            cin = Lp if self.global_from_dosage else cm
            self.to_global = nn.Sequential(nn.Linear(cin, cm), nn.SiLU(), nn.Linear(cm, 2 * gdim))

        self.decoder = nn.Sequential(*_decoder_layers(c0, ch, self.patch, nres, drop, bool(p["attention"]),
                                                      self.latent_channels))
        if p["genotype_model"] not in ("binomial", "categorical"):
            raise ValueError(f"vae.genotype_model must be 'binomial' or 'categorical', not {p['genotype_model']!r}")
        self.binomial = p["genotype_model"] == "binomial"
        nout = 1 if self.binomial else 3  # read-out values per SNP: the ALT allele logit, or 3 genotype logits
        if gdim:  # the global latent reaches every decoder position and, per SNP, the read-out
            self.from_global = nn.Linear(gdim, cm)
            self.global_w = nn.Parameter(torch.zeros(nout, gdim, Lp))
        # per-SNP read-out; the bias starts at the trivial solution (genotype or allele frequencies)
        self.head_w = nn.Parameter(torch.randn(nout, c0, Lp) * (0.1 / math.sqrt(c0)))
        self.head_b = nn.Parameter(_readout_bias(genotype_freq, nout, Lp, self.n_snps))
        # cluster read-out: per ancestry cluster and SNP, a term added to the read-out's logits, starting
        # at the cluster's genotype frequencies relative to everyone's (decode() then needs the cluster)
        self.n_clusters = int(n_clusters) if p["cluster_readout"] and int(n_clusters) > 1 else 0
        if self.n_clusters:
            self.cluster_b = nn.Parameter(_cluster_bias(cluster_freq, genotype_freq, self.n_clusters, nout, Lp,
                                                        self.n_snps))
        # autoregressive read-out: logit of genotype b at SNP j gets + ar_w[k-1, a, b, j] when SNP j-k
        # has genotype a (k = 1..ar_lags); zero-initialised, so it starts as the independent read-out
        self.ar_lags = int(p["ar_lags"])
        if self.ar_lags < 0:
            raise ValueError(f"vae.ar_lags must be >= 0, not {self.ar_lags}")
        if self.ar_lags:  # binomial: one allele-logit term per lag and preceding genotype
            shape = (self.ar_lags, 3, self.n_snps) if self.binomial else (self.ar_lags, 3, 3, self.n_snps)
            self.ar_w = nn.Parameter(torch.zeros(shape))

        zdim = self.latent_channels * self.latent_len
        pd = float(p["pheno_dropout"])
        ph = int(p["pheno_hidden"])
        if p["pheno_input"] not in ("mu", "z"):
            raise ValueError(f"vae.pheno_input must be 'mu' or 'z', not {p['pheno_input']!r}")
        self.pheno_input = p["pheno_input"]
        self.pheno_head = _pheno_head(zdim, ph, pd)
        self.ancestry_pcs = int(p["ancestry_pcs"]) if gdim else 0
        if self.ancestry_pcs:  # linear: the PCs are (nearly) linear in the genotypes
            self.ancestry_head = nn.Linear(gdim, self.ancestry_pcs)

    @property
    def latent_shape(self) -> tuple[int, int]:
        return (self.latent_channels, self.latent_len)

    def encode(self, x_onehot: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """one-hot (N, 3, L or padded) -> (mu, logvar), each (N, latent_channels, latent_len)."""
        if x_onehot.shape[-1] != self.padded:
            x_onehot = F.pad(x_onehot, (0, self.padded - x_onehot.shape[-1]))
        h = (x_onehot[:, 0:1] * self.embed[0] + x_onehot[:, 1:2] * self.embed[1]
             + x_onehot[:, 2:3] * self.embed[2])
        trunk = self.encoder[:-1](h)
        mu, logvar = self.encoder[-1](trunk).chunk(2, dim=1)
        if self.global_tokens:  # extra latent positions after the local ones
            src = x_onehot[:, 1] + 2 * x_onehot[:, 2] - 1 if self.global_from_dosage else trunk.mean(-1)
            g = self.to_global(src).view(-1, 2 * self.latent_channels, self.global_tokens)
            mu_g, logvar_g = g.chunk(2, dim=1)
            mu, logvar = torch.cat([mu, mu_g], -1), torch.cat([logvar, logvar_g], -1)
        return mu, logvar.clamp(-12.0, 6.0)

    def global_latent(self, z: torch.Tensor) -> torch.Tensor:
        """The global part of a latent (N, latent_channels * global_tokens)."""
        return z[:, :, self.local_len:].flatten(1)

    def decode(self, z: torch.Tensor, cluster: torch.Tensor | None = None) -> torch.Tensor:
        """latent (N, latent_channels, latent_len) -> genotype logits (N, 3, n_snps); ``cluster`` (N,):
        each person's ancestry cluster, required when the model has a cluster read-out."""
        if not self.global_tokens:
            h = self.decoder(z).float()
        else:
            zg = self.global_latent(z)
            h = self.decoder[1:](self.decoder[0](z[:, :, :self.local_len]) + self.from_global(zg)[:, :, None]).float()
        out = torch.stack([(h * w).sum(1) for w in self.head_w], dim=1) + self.head_b
        if self.global_tokens:
            out = out + torch.einsum("ng,bgl->nbl", zg.float(), self.global_w)
        if self.n_clusters:
            if cluster is None:
                raise ValueError("this VAE has a cluster read-out: decode() needs each person's ancestry cluster")
            out = out + self.cluster_b[cluster.long().to(self.cluster_b.device)]
        out = out[:, :, : self.n_snps]
        return binomial_logits(out[:, 0]) if self.binomial else out

    def ar_table(self) -> torch.Tensor:
        """The autoregressive weights as genotype-logit terms (lags, 3, 3, L): [k-1, a, b, j] is
        added to genotype b's logit at SNP j when SNP j-k has genotype a. Binomial: b x the
        allele-logit term, which keeps every call's distribution Binomial(2, p)."""
        if not self.binomial:
            return self.ar_w
        return self.ar_w[:, :, None, :] * torch.arange(3, dtype=self.ar_w.dtype, device=self.ar_w.device)[:, None]

    def ar_logits(self, logits: torch.Tensor, G: torch.Tensor) -> torch.Tensor:
        """Add the autoregressive term to ``decode()`` logits (N, 3, L) given the genotypes G (N, L)
        of the same individuals (teacher forcing: training and likelihood; sampling is sequential,
        see :func:`sample_calls`). Without ``ar_lags`` the logits are returned as they are."""
        if not self.ar_lags:
            return logits
        K, L = self.ar_lags, G.shape[1]
        oh = F.pad(F.one_hot(G.long().clamp(0, 2), 3).permute(0, 2, 1).to(logits.dtype), (K, 0))
        # the K calls before each SNP as a strided view, no copy (N, 3, L, K): [:, :, j, i] = one-hot
        # genotype of SNP j - K + i, i.e. lag K - i (zeros before the first SNP). Four times faster
        # than stacking K shifted copies, which took half of a training step on CPU (session 11).
        win = oh[:, :, :L + K - 1].unfold(2, K, 1)
        return logits + torch.einsum("nalk,kabl->nbl", win, self.ar_table().to(logits.dtype).flip(0))

    def ancestry(self, z: torch.Tensor) -> torch.Tensor:
        """Predicted standardised ancestry PC scores (N, ancestry_pcs) from a latent's global part."""
        return self.ancestry_head(self.global_latent(z))

    def pheno_logit(self, mu: torch.Tensor) -> torch.Tensor:
        return self.pheno_head(mu.flatten(1)).squeeze(1)

    def head_logit(self, mu: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """The phenotype head on the latent it was configured to read (``pheno_input``)."""
        return self.pheno_logit(z if self.pheno_input == "z" else mu)

    def encoder_parameters(self) -> list[nn.Parameter]:
        """Parameters that map genotypes to the latent and the latent to the label (embedding,
        encoder, phenotype head); the rest (decoder, read-out) is what :func:`train_vae` keeps
        training after ``encoder_patience`` froze these."""
        extra = [*self.to_global.parameters()] if self.global_tokens else []
        extra += [*self.ancestry_head.parameters()] if self.ancestry_pcs else []
        return [self.embed, *self.encoder.parameters(), *self.pheno_head.parameters(), *extra]

    def forward(self, x_onehot: torch.Tensor, sample: bool = True):
        mu, logvar = self.encode(x_onehot)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar) if sample else mu
        return self.decode(z), mu, logvar, self.head_logit(mu, z)


def binomial_logits(a: torch.Tensor) -> torch.Tensor:
    """ALT-allele logits a (N, L) -> genotype logits (N, 3, L) of Binomial(2, sigmoid(a)):
    log C(2, g) + g a (the shared normaliser cancels in the softmax)."""
    return torch.stack([torch.zeros_like(a), a + math.log(2.0), 2 * a], dim=1)


def _cluster_bias(cluster_freq, genotype_freq, n_clusters: int, nout: int, padded: int, n_snps: int
                  ) -> torch.Tensor:
    """Cluster read-out start (K, nout, padded): each cluster's read-out bias minus everyone's, so a
    cluster's calls start at its own genotype (or allele) frequencies; zeros without frequencies."""
    if cluster_freq is None or genotype_freq is None:
        return torch.zeros(n_clusters, nout, padded)
    overall = _readout_bias(genotype_freq, nout, padded, n_snps)
    return torch.stack([_readout_bias(np.nan_to_num(cf, nan=0.0), nout, padded, n_snps) - overall
                        for cf in cluster_freq])


def _readout_bias(genotype_freq, nout: int, padded: int, n_snps: int) -> torch.Tensor:
    """Read-out bias at the trivial solution: log genotype frequencies (3 rows), or the logit of
    the ALT allele frequency (1 row, binomial)."""
    bias = torch.zeros(nout, padded)
    if genotype_freq is None:
        return bias
    gf = np.asarray(genotype_freq, dtype=np.float64)  # (3, L)
    if nout == 3:
        b = np.log(np.clip(gf, 1e-4, 1.0))
    else:
        af = np.clip(gf[1] / 2 + gf[2], 1e-4, 1 - 1e-4)
        b = np.log(af / (1 - af))[None]
    bias[:, :n_snps] = torch.as_tensor(b, dtype=torch.float32)
    return bias


def sample_calls(logits: np.ndarray, u: np.ndarray, ar_w: np.ndarray | None = None,
                 argmax: bool = False, group: int = 4, probs: bool = False):
    """Hard calls 0/1/2 (int8, (N, L)) from read-out logits (N, 3, L) and uniforms u (N, L).

    Without ``ar_w`` every SNP is drawn independently (inverse CDF of its categorical); with
    ``ar_w`` (lags, 3, 3, L; :meth:`GenotypeVAE.ar_logits`) SNPs are drawn left to right, each
    given the calls already drawn for the preceding SNPs. ``argmax`` takes the most probable
    genotype instead of drawing (left to right as well). Per-SNP cost is fixed numpy overhead plus
    N x ceil(lags / group) table lookups (``group`` lags share one base-3 code; 4 -> 81-row
    tables), so large N per call is much cheaper per individual.

    With ``probs`` it returns (calls, P): P (N, 3, L) float32, the probability of each genotype
    that each call was drawn from (given that person's preceding calls). Their mean over people
    estimates a genotype's frequency with less noise than the count of calls does (the calls add
    the noise of the draw to it).
    """
    logits = np.asarray(logits, dtype=np.float32)
    n, _, L = logits.shape
    u = np.asarray(u, dtype=np.float32)

    P = np.empty((L, 3, n), np.float32) if probs else None

    def draw3(l0, l1, l2, uj, j=None):  # inverse-CDF draw from the three genotypes' logits (separate arrays)
        m = np.maximum(np.maximum(l0, l1), l2)
        e0, e1, e2 = np.exp(l0 - m), np.exp(l1 - m), np.exp(l2 - m)
        if P is not None:
            s = e0 + e1 + e2
            if j is None:
                P[:] = np.stack([e0 / s, e1 / s, e2 / s]).transpose(2, 0, 1)
            else:
                P[j, 0], P[j, 1], P[j, 2] = e0 / s, e1 / s, e2 / s
        if argmax:  # first maximum, as argmax
            c1 = l1 > l0
            return np.where(l2 > np.where(c1, l1, l0), 2, c1).astype(np.int8)
        t = uj * (e0 + e1 + e2)
        return (t >= e0).astype(np.int8) + (t >= e0 + e1).astype(np.int8)

    def out(G):
        return (G, np.ascontiguousarray(P.transpose(2, 1, 0))) if probs else G

    if ar_w is None or ar_w.shape[0] == 0:
        return out(draw3(logits[:, 0], logits[:, 1], logits[:, 2], u))
    ar_w = np.asarray(ar_w, dtype=np.float32)
    K = ar_w.shape[0]
    # Lags in groups of B: the calls at lags qB+1..qB+B of SNP j are one base-3 code, and table
    # T[j, q, code] holds their summed lag terms, so each SNP costs Q = K / B lookups, not K adds.
    # codes[j] = code of the calls at j-1..j-B (lag 1 = lowest digit); group q of SNP j is codes[j - qB].
    B = min(group, K)
    Q = -(-K // B)
    W = np.zeros((Q * B, 3, 3, L), np.float32)
    W[:K] = ar_w
    for k in range(1, Q * B + 1):  # SNPs j < k have no call at lag k: those terms are zero
        W[k - 1, :, :, :min(k, L)] = 0.0
    ncode = 3 ** B
    digits = (np.arange(ncode)[:, None] // 3 ** np.arange(B)[None, :]) % 3  # (ncode, B)
    Wr = W.reshape(Q, B, 3, 3, L)
    T = np.zeros((Q, ncode, 3, L), np.float32)
    for i in range(B):  # lag qB + i + 1 is digit i of the group's code
        T += Wr[:, i][:, digits[:, i]]
    T = np.ascontiguousarray(T.transpose(3, 0, 2, 1))  # (L, Q, 3, ncode)
    # genotype-major per SNP, (L, 3, N): the draw works on three contiguous rows of N, not on N
    # rows of 3 (numpy reduces a length-3 last axis slowly)
    lt = np.ascontiguousarray(logits.transpose(2, 1, 0))
    codes = np.zeros((L + 1, n), np.int16)
    G = np.empty((L, n), dtype=np.int8)
    for j in range(L):
        l0, l1, l2 = lt[j]
        for q in range(min(Q, -(-j // B))):  # groups with at least one call before SNP j
            t = T[j, q][:, codes[j - q * B]]
            l0, l1, l2 = l0 + t[0], l1 + t[1], l2 + t[2]
        g = draw3(l0, l1, l2, u[:, j], j)
        G[j] = g
        codes[j + 1] = (3 * codes[j] + g) % ncode
    return out(np.ascontiguousarray(G.T))

"""Label-conditional DDPM on standardised VAE latents (epsilon prediction, L2 loss).

Classifier-free guidance: labels 0 (control) and 1 (case); label ``NULL_LABEL`` (2) is the
"no label" token used for dropped labels during training and the unconditional branch at
sampling. Guided noise estimate (Stable-Diffusion convention): eps_u + s * (eps_c - eps_u),
so s = 1 is the plain conditional model and s = 0 the unconditional one.

Ancestry clusters (``ancestry_clusters`` > 1): the model is also conditioned on the person's
ancestry cluster (a Gaussian mixture on the training split's leading genotype PCs, see
:mod:`snpgen.structure`), and a synthetic person's cluster is drawn first from the training
split's per-class cluster shares, like the label. The condition code is
``label + N_LABELS * cluster``; guidance drops only the label (the unconditional branch keeps the
cluster), so guidance strengthens the phenotype, not the ancestry. A mixture of diffusion modes
with a 10 % weight is easy to lose; a mode the model is told to sample is not.

Samplers: ``"ddpm"`` (the full ancestral chain over all training steps), ``"ddim"`` (``steps``
evenly spaced timesteps; eta = 0 deterministic, eta = 1 stochastic) and ``"heun"`` (the
probability-flow ODE with Heun's second-order steps: two network calls per step, and far less
discretisation error than DDIM at the same cost; with an exact denoiser of N(0, I) data, DDIM
with 50 of 1,000 steps shrinks the variance to 0.93, Heun keeps it at 1).

Gaussian skip (``gaussian_skip``, default on): the noise estimate is
eps(x_t, t) = sqrt(1 - abar_t) * x_t + net(x_t, t, y), i.e. the network predicts the correction to
the exact optimal denoiser for standard-normal data (the latents are standardised). With a
zero-initialised output layer the untrained model already samples N(0, I), and near t = T,
where any eps error is amplified by 1/sqrt(abar_t) in the x0 estimate, the network only has to
output ~0. Without it a CPU-sized denoiser's small error at t ~ T sent DDIM latents to ~20 sd.
It is still epsilon prediction with an L2 loss on eps.
"""
from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from ..defaults import schema_defaults
from .vae import _groups

NULL_LABEL = 2
N_LABELS = 3        # control, case, null
_KEY = 1 << 16      # condition codes are below this (MLPDenoiser's (t, code) de-duplication)


def condition_code(label: torch.Tensor, cluster: torch.Tensor | None = None) -> torch.Tensor:
    """One integer per person: the label (0, 1, NULL_LABEL) plus N_LABELS x its ancestry cluster."""
    return label.long() if cluster is None else label.long() + N_LABELS * cluster.long()


def drop_label(code: torch.Tensor) -> torch.Tensor:
    """The same condition with the label replaced by NULL_LABEL (the cluster is kept)."""
    return code - code % N_LABELS + NULL_LABEL

# The diffusion parameters (config["model"]["diffusion"]) and their defaults: the schema's (each key
# described in workflow/schemas/config.schema.yaml and config/README.md).
DIFFUSION_DEFAULTS: dict = schema_defaults("model", "diffusion")


def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, device=t.device, dtype=torch.float32) / half)
    args = t.float()[:, None] * freqs[None]
    emb = torch.cat([torch.cos(args), torch.sin(args)], dim=1)
    return F.pad(emb, (0, dim % 2))


class CondEmbedding(nn.Module):
    """Timestep + condition embedding: label (0, 1, NULL_LABEL) and, with clusters, ancestry cluster."""

    def __init__(self, dim: int, n_clusters: int = 0):
        super().__init__()
        self.dim = dim
        self.t_mlp = nn.Sequential(nn.Linear(dim, dim), nn.SiLU(), nn.Linear(dim, dim))
        self.label = nn.Embedding(N_LABELS, dim)
        self.cluster = nn.Embedding(n_clusters, dim) if n_clusters > 1 else None

    def forward(self, t, y):
        e = self.t_mlp(timestep_embedding(t, self.dim)) + self.label(y % N_LABELS)
        if self.cluster is not None:
            e = e + self.cluster(y // N_LABELS)
        return F.silu(e)


class EmbResBlock(nn.Module):
    def __init__(self, cin: int, cout: int, emb: int, dropout: float):
        super().__init__()
        self.n1 = nn.GroupNorm(_groups(cin), cin)
        self.c1 = nn.Conv1d(cin, cout, 3, padding=1)
        self.emb = nn.Linear(emb, 2 * cout)
        self.n2 = nn.GroupNorm(_groups(cout), cout)
        self.drop = nn.Dropout(dropout)
        self.c2 = nn.Conv1d(cout, cout, 3, padding=1)
        nn.init.zeros_(self.c2.weight)
        nn.init.zeros_(self.c2.bias)
        self.skip = nn.Conv1d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, e):
        h = self.c1(F.silu(self.n1(x)))
        scale, shift = self.emb(e)[:, :, None].chunk(2, dim=1)
        h = self.n2(h) * (1 + scale) + shift
        h = self.c2(self.drop(F.silu(h)))
        return self.skip(x) + h


class UNet1d(nn.Module):
    def __init__(self, in_channels: int, length: int, p: dict, n_clusters: int = 0):
        super().__init__()
        base = int(p["base_channels"])
        mults = [int(m) for m in p["channel_mults"]]
        nres = int(p["res_blocks"])
        emb = int(p["emb_dim"])
        drop = float(p["dropout"])
        self.length = length
        self.factor = 2 ** (len(mults) - 1)
        self.padded = int(math.ceil(length / self.factor) * self.factor)
        self.cond = CondEmbedding(emb, n_clusters)
        self.inp = nn.Conv1d(in_channels, base, 3, padding=1)
        self.down = nn.ModuleList()
        chans = [base]
        c = base
        for i, m in enumerate(mults):
            for _ in range(nres):
                self.down.append(EmbResBlock(c, base * m, emb, drop))
                c = base * m
                chans.append(c)
            if i < len(mults) - 1:
                self.down.append(nn.Conv1d(c, c, 4, stride=2, padding=1))
                chans.append(c)
        self.mid1 = EmbResBlock(c, c, emb, drop)
        self.mid_attn = _AttnBlock(c) if p["attention"] else None
        self.mid2 = EmbResBlock(c, c, emb, drop)
        self.up = nn.ModuleList()
        for i, m in reversed(list(enumerate(mults))):
            for _ in range(nres + 1):
                self.up.append(EmbResBlock(c + chans.pop(), base * m, emb, drop))
                c = base * m
            if i > 0:
                self.up.append(nn.Upsample(scale_factor=2, mode="nearest"))
        self.out = nn.Sequential(nn.GroupNorm(_groups(c), c), nn.SiLU(), nn.Conv1d(c, in_channels, 3, padding=1))
        nn.init.zeros_(self.out[-1].weight)
        nn.init.zeros_(self.out[-1].bias)

    def forward(self, x, t, y):
        e = self.cond(t, y)
        L = x.shape[-1]
        if self.padded != L:
            x = F.pad(x, (0, self.padded - L))
        h = self.inp(x)
        hs = [h]
        for mod in self.down:
            h = mod(h, e) if isinstance(mod, EmbResBlock) else mod(h)
            hs.append(h)
        h = self.mid1(h, e)
        if self.mid_attn is not None:
            h = self.mid_attn(h)
        h = self.mid2(h, e)
        for mod in self.up:
            if isinstance(mod, EmbResBlock):
                h = mod(torch.cat([h, hs.pop()], dim=1), e)
            else:
                h = mod(h)
        return self.out(h)[:, :, :L]


class _AttnBlock(nn.Module):
    def __init__(self, c: int):
        super().__init__()
        self.norm = nn.GroupNorm(_groups(c), c)
        self.attn = nn.MultiheadAttention(c, 4 if c % 4 == 0 else 1, batch_first=True)

    def forward(self, x):
        h = self.norm(x).transpose(1, 2)
        h, _ = self.attn(h, h, h, need_weights=False)
        return x + h.transpose(1, 2)


class MLPDenoiser(nn.Module):
    """Residual MLP on the flattened latent (strong for short latents, cheap on CPU)."""

    def __init__(self, in_channels: int, length: int, p: dict, n_clusters: int = 0):
        super().__init__()
        d = in_channels * length
        hid = int(p["mlp_hidden"])
        emb = int(p["emb_dim"])
        self.shape = (in_channels, length)
        self.cond = CondEmbedding(emb, n_clusters)
        self.inp = nn.Linear(d, hid)
        self.blocks = nn.ModuleList()
        for _ in range(int(p["mlp_blocks"])):
            self.blocks.append(nn.ModuleDict({
                "norm": nn.LayerNorm(hid), "fc1": nn.Linear(hid, 2 * hid), "emb": nn.Linear(emb, 2 * hid),
                "drop": nn.Dropout(float(p["dropout"])), "fc2": nn.Linear(2 * hid, hid)}))
            nn.init.zeros_(self.blocks[-1]["fc2"].weight)
            nn.init.zeros_(self.blocks[-1]["fc2"].bias)
        self.out = nn.Sequential(nn.LayerNorm(hid), nn.SiLU(), nn.Linear(hid, d))
        nn.init.zeros_(self.out[-1].weight)
        nn.init.zeros_(self.out[-1].bias)

    def forward(self, x, t, y):
        # sampling batches share t and have few condition codes: embed each distinct (t, y) once
        key = t.long() * _KEY + y.long()
        uniq, inv = torch.unique(key, return_inverse=True)
        e = self.cond(uniq // _KEY, uniq % _KEY)
        h = self.inp(x.flatten(1))
        for b in self.blocks:
            u = b["fc1"](b["norm"](h)) + b["emb"](e)[inv]
            h = h + b["fc2"](b["drop"](F.silu(u)))
        return self.out(h).view(x.shape)


def build_denoiser(latent_shape: tuple[int, int], params: dict, n_clusters: int = 0) -> nn.Module:
    """The configured denoiser; ``n_clusters`` > 1 adds the ancestry-cluster embedding."""
    p = {**DIFFUSION_DEFAULTS, **(params or {})}
    c, L = int(latent_shape[0]), int(latent_shape[1])
    if p["denoiser"] == "unet":
        return UNet1d(c, L, p, n_clusters)
    if p["denoiser"] == "mlp":
        return MLPDenoiser(c, L, p, n_clusters)
    raise ValueError(f"diffusion.denoiser must be 'unet' or 'mlp', not {p['denoiser']!r}")


def make_betas(schedule: str, T: int) -> torch.Tensor:
    if schedule == "linear":
        return torch.linspace(1e-4, 0.02, T, dtype=torch.float64)
    if schedule == "scaled_linear":  # latent-diffusion (Stable Diffusion) schedule
        return torch.linspace(0.00085 ** 0.5, 0.012 ** 0.5, T, dtype=torch.float64) ** 2
    if schedule == "cosine":
        s = 0.008
        x = torch.linspace(0, T, T + 1, dtype=torch.float64)
        ac = torch.cos(((x / T) + s) / (1 + s) * math.pi / 2) ** 2
        ac = ac / ac[0]
        return (1 - ac[1:] / ac[:-1]).clamp(max=0.999)
    raise ValueError(f"diffusion.schedule must be 'linear', 'scaled_linear' or 'cosine', not {schedule!r}")


class GaussianDiffusion:
    """Noise schedule, training loss and the two samplers (no learnable state)."""

    def __init__(self, timesteps: int = 1000, schedule: str = "linear", gaussian_skip: bool = True):
        self.T = int(timesteps)
        self.gaussian_skip = bool(gaussian_skip)
        betas = make_betas(schedule, self.T)
        alphas = 1.0 - betas
        ac = torch.cumprod(alphas, 0)
        self.betas = betas
        self.alphas_cumprod = ac
        self.alphas_cumprod_prev = torch.cat([torch.ones(1, dtype=torch.float64), ac[:-1]])
        self.posterior_var = betas * (1 - self.alphas_cumprod_prev) / (1 - ac)

    @staticmethod
    def _at(a: torch.Tensor, t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return a.to(x.device)[t].float().view(-1, *([1] * (x.dim() - 1)))

    def eps(self, model, x, t, y):
        """The model's noise estimate (with the Gaussian skip when enabled)."""
        out = model(x, t, y).float()
        if self.gaussian_skip:
            out = out + (1 - self._at(self.alphas_cumprod, t, x)).sqrt() * x.float()
        return out

    def q_sample(self, x0, t, noise):
        ac = self._at(self.alphas_cumprod, t, x0)
        return ac.sqrt() * x0 + (1 - ac).sqrt() * noise

    def loss(self, model, x0, y, generator=None):
        n = x0.shape[0]
        t = torch.randint(0, self.T, (n,), generator=generator, device="cpu").to(x0.device)
        noise = torch.randn(x0.shape, generator=generator, device="cpu").to(x0.device)
        eps = self.eps(model, self.q_sample(x0, t, noise), t, y)
        return F.mse_loss(eps, noise)

    def guided_eps(self, model, x, t, y, guidance_scale: float):
        if guidance_scale == 1.0:
            return self.eps(model, x, t, y)
        null = drop_label(y)
        if guidance_scale == 0.0:
            return self.eps(model, x, t, null)
        out = self.eps(model, torch.cat([x, x]), torch.cat([t, t]), torch.cat([y, null]))
        ec, eu = out.chunk(2)
        return eu + guidance_scale * (ec - eu)

    def _predict(self, model, x, i: int, y, guidance_scale: float, clip_x0: float):
        """Guided noise estimate and clean-latent prediction at timestep ``i``; with ``clip_x0`` the
        prediction is clipped and the noise estimate made consistent with it. Returns (eps, x0)."""
        t = torch.full((x.shape[0],), i, device=x.device, dtype=torch.long)
        eps = self.guided_eps(model, x, t, y, guidance_scale)
        ac = float(self.alphas_cumprod[i])
        x0 = (x - math.sqrt(1 - ac) * eps) / math.sqrt(ac)
        if clip_x0 > 0:
            x0 = x0.clamp(-clip_x0, clip_x0)
            eps = (x - math.sqrt(ac) * x0) / math.sqrt(1 - ac)
        return eps, x0

    @torch.no_grad()
    def sample(self, model, shape, y, guidance_scale: float = 1.0, sampler: str = "ddim",
               steps: int = 50, generator=None, clip_x0: float = 0.0, eta: float = 0.0):
        """Draw latents (standardised scale). ``generator`` is a CPU torch.Generator.

        ``eta`` (DDIM only, Song et al. 2021): 0 = deterministic DDIM; 1 = the stochastic sampler
        whose per-step noise matches the DDPM posterior (more diverse samples at the same steps).
        """
        device = y.device
        x = torch.randn(shape, generator=generator).to(device)
        if sampler == "ddpm":
            for i in reversed(range(self.T)):
                _, x0 = self._predict(model, x, i, y, guidance_scale, clip_x0)
                ac = float(self.alphas_cumprod[i])
                acp = float(self.alphas_cumprod_prev[i])
                beta = float(self.betas[i])
                mean = (math.sqrt(acp) * beta / (1 - ac)) * x0 + (math.sqrt(1 - beta) * (1 - acp) / (1 - ac)) * x
                if i > 0:
                    noise = torch.randn(shape, generator=generator).to(device)
                    x = mean + math.sqrt(float(self.posterior_var[i])) * noise
                else:
                    x = mean
            return x
        # "ddim" and "heun" visit `steps` evenly spaced timesteps from T - 1 down to 0
        n_steps = max(1, min(int(steps), self.T))
        ts = torch.linspace(self.T - 1, 0, n_steps).round().long().unique_consecutive().tolist()
        if sampler == "ddim":
            for k, i in enumerate(ts):
                eps, x0 = self._predict(model, x, i, y, guidance_scale, clip_x0)
                ac = float(self.alphas_cumprod[i])
                ac_next = float(self.alphas_cumprod[ts[k + 1]]) if k + 1 < len(ts) else 1.0
                sigma = 0.0
                if eta > 0 and k + 1 < len(ts):
                    sigma = eta * math.sqrt((1 - ac_next) / (1 - ac) * (1 - ac / ac_next))
                x = math.sqrt(ac_next) * x0 + math.sqrt(max(1 - ac_next - sigma ** 2, 0.0)) * eps
                if sigma > 0:
                    x = x + sigma * torch.randn(shape, generator=generator).to(device)
            return x
        if sampler == "heun":
            # probability-flow ODE in (x / sqrt(abar), sigma = sqrt((1 - abar) / abar)), where
            # dx~/dsigma = eps; Heun's second-order step (Karras et al. 2022). DDIM is its Euler step.
            def sig(i):
                ac = float(self.alphas_cumprod[i])
                return math.sqrt((1 - ac) / ac), math.sqrt(ac)

            for k, i in enumerate(ts):
                s_i, r_i = sig(i)
                xt = x / r_i
                d, _ = self._predict(model, x, i, y, guidance_scale, clip_x0)
                if k + 1 < len(ts):
                    s_n, r_n = sig(ts[k + 1])
                    x_eul = xt + (s_n - s_i) * d
                    d2, _ = self._predict(model, x_eul * r_n, ts[k + 1], y, guidance_scale, clip_x0)
                    x = (xt + (s_n - s_i) * 0.5 * (d + d2)) * r_n
                else:  # last step: Euler to sigma = 0
                    x = xt - s_i * d
            return x
        raise ValueError(f"sampler must be 'ddpm', 'ddim' or 'heun', not {sampler!r}")

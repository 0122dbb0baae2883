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
    logits (b, 3, L), uniforms of the call draw (b, L), zeros when not ``uniforms``; the ancestry
    cluster each person was drawn for (b,), 0 without clusters). Latents are drawn from the label-
    (and cluster-) conditional diffusion, de-standardised and decoded with the cluster each was
    drawn for. One random stream: per batch the diffusion noise, then the uniforms."""
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
            yield ar_w, np.concatenate(parts), np.concatenate(us), cluster.cpu().numpy().astype(np.int64)


def readout_calls(logits: np.ndarray, u: np.ndarray, ar_w: np.ndarray | None, temperature: float = 1.0,
                  ar_gain: float = 1.0, argmax: bool = False, offsets: np.ndarray | None = None,
                  cluster: np.ndarray | None = None, probs: bool = False):
    """Hard calls int8 (b, L) from :func:`readout_batches`' logits and uniforms: every logit divided
    by ``temperature``, the lag terms multiplied by ``ar_gain`` (left to right with the lags), and
    ``offsets``, one per genotype and SNP (:func:`genotype_offsets`), added to the logits: (3, L) for
    everyone, or (K, 3, L) one set per ancestry cluster, each person's by ``cluster`` (b,).
    With ``probs``: (calls, the probabilities they were drawn from, (b, 3, L); vae.sample_calls)."""
    from .models.vae import sample_calls

    if ar_w is not None and (ar_gain != 1.0 or temperature != 1.0):
        ar_w = ar_w * np.float32(float(ar_gain) / float(temperature))
    if temperature != 1.0:
        logits = logits / np.float32(temperature)
    if offsets is not None:
        logits = logits + _person_offsets(np.asarray(offsets, np.float32), cluster, len(logits))
    return sample_calls(logits, u, ar_w, argmax=argmax, probs=probs)


def _person_offsets(offsets: np.ndarray, cluster: np.ndarray | None, n: int) -> np.ndarray:
    """Offsets broadcastable to (n, 3, L): the shared (3, L) ones, or each person's cluster's."""
    if offsets.ndim == 2:
        return offsets[None]
    if len(offsets) == 1:
        return offsets
    if cluster is None or len(cluster) != n:
        raise ValueError(f"per-cluster genotype offsets ({len(offsets)} clusters) need each person's cluster")
    return offsets[np.asarray(cluster)]


def genotype_freqs(G: np.ndarray, pseudo: float = 0.5) -> np.ndarray:
    """Per-SNP genotype frequencies (3, L) of the calls 0/1/2 in G (missing calls left out), each
    count plus ``pseudo``."""
    G = np.asarray(G)
    counts = np.stack([(G == g).sum(axis=0) for g in range(3)]).astype(np.float64) + float(pseudo)
    return counts / counts.sum(axis=0, keepdims=True)


def shrunk_genotype_freqs(G: np.ndarray, cluster: np.ndarray | None = None, k: int = 1,
                          pseudo: float = 0.5) -> np.ndarray:
    """Each ancestry cluster's genotype frequencies (k, 3, L) among the people of ``G`` (``cluster``:
    each row's cluster 0..k-1; None = one), with their sampling noise shrunk out, so that offsets
    fitted to them do not copy the noise of a few hundred people into every synthetic draw.

    Parametrised as the allele frequency p and the inbreeding coefficient F of each SNP, because
    the two are estimated with very different noise: p from 2n alleles, F (the heterozygote
    deficit) from n genotypes, with a variance of about 1 / n. Each is shrunk towards what the whole
    cohort knows better, by empirical Bayes with the variance-preserving weight sqrt(s2 / (s2 + v))
    (a generator needs the spread of the true values, not the posterior means, which have less):
    - p towards the pooled allele frequency, s2 = Fst x pbar (1 - pbar), Fst the cluster's mean
      squared deviation from the pooled frequencies less the deviation's sampling variance v (from
      p (1 - p) / 2n of every cluster, the cluster's own counted in the pooled frequency too);
    - F towards the cluster's mean F over SNPs, s2 = the variance of F over SNPs less v = 1 / n.
    The genotype frequencies are then (1 - p)^2 + F p (1 - p), 2 p (1 - p) (1 - F), p^2 + F p (1 - p).
    Shrinking the fitted offsets towards 0 instead (:func:`genotype_offsets` with ``n_target``)
    leaves a share of the read-out's own error in place: on the admixed panel cohort it left the
    clusters 0.3-1.7 % too differentiated, and more SNPs failing HWE (benchmarks/README.md section 3,
    session 20)."""
    G = np.asarray(G)
    cl = np.zeros(len(G), np.int64) if cluster is None else np.asarray(cluster, np.int64)
    counts = np.stack([np.stack([((G == g) & (cl[:, None] == c)).sum(axis=0) for g in range(3)])
                       for c in range(int(k))]).astype(np.float64)
    n = counts.sum(axis=1)  # (k, L) called people
    q = (counts + pseudo) / (n[:, None] + 3 * pseudo)
    p = q[:, 1] / 2 + q[:, 2]
    pooled = np.clip((counts[:, 1] + 2 * counts[:, 2]).sum(0) / np.maximum(2 * n.sum(0), 1), 1e-3, 1 - 1e-3)
    he = 2 * p * (1 - p)
    f = 1 - q[:, 1] / np.maximum(he, 1e-9)
    p_out, f_out = p.copy(), f.copy()
    share = n / np.maximum(n.sum(0), 1)  # each cluster's weight in the pooled frequency
    noise = p * (1 - p) / (2 * np.maximum(n, 1))  # sampling variance of each cluster's frequency
    for c in range(int(k)):
        if k > 1:  # d's noise: its own frequency's, less the part the pooled one shares, plus the others'
            d, h = p[c] - pooled, pooled * (1 - pooled)
            v = (1 - share[c]) ** 2 * noise[c] + (share ** 2 * noise).sum(0) - share[c] ** 2 * noise[c]
            fst = max(0.0, float(np.mean(d ** 2 - v) / np.mean(h)))
            p_out[c] = pooled + np.sqrt(fst * h / (fst * h + v)) * d
        ok = he[c] > 0.02
        if ok.any():
            mean_f = float(np.sum(he[c][ok] * f[c][ok]) / np.sum(he[c][ok]))
            v = 1 / np.maximum(n[c], 1)
            s2 = max(0.0, float(np.var(f[c][ok]) - np.mean(v[ok])))
            f_out[c] = mean_f + np.sqrt(s2 / (s2 + v)) * (f[c] - mean_f)
    low = -np.minimum(p_out, 1 - p_out) / np.maximum(p_out, 1 - p_out)  # the most heterozygotes possible
    f_out = np.clip(f_out, low + 1e-3, 1 - 1e-3)
    pq = p_out * (1 - p_out)
    out = np.stack([(1 - p_out) ** 2 + f_out * pq, 2 * pq * (1 - f_out), p_out ** 2 + f_out * pq], axis=1)
    out = np.clip(out, 1e-6, None)
    return out / out.sum(axis=1, keepdims=True)


def genotype_offsets(batches: list, target: np.ndarray, temperature: float = 1.0, ar_gain: float = 1.0,
                     iterations: int = 4, n_target=None) -> tuple[np.ndarray, np.ndarray]:
    """Per-SNP, per-genotype logit offsets under which the read-out of ``batches`` (as from
    :func:`readout_batches`) has the genotype frequencies ``target``: (3, L), :func:`genotype_freqs`
    of the real training split, or (K, 3, L), those of each of its K ancestry clusters, which then
    hold for the synthetic people drawn for each cluster (offsets of the same shape). ``iterations``
    fixed-point steps, each adding log(target / drawn) (the lag terms couple the SNPs, so one step
    is not exact). Returns the offsets and the calls drawn with the unshrunk ones.

    Per cluster, because the pooled frequencies can come out right for the wrong reason: on the
    pooled-ancestry demo the synthetic clusters were more differentiated than the real ones and too
    heterozygous inside, and pooled offsets matched the pooled frequencies by trading one against
    the other (benchmarks/README.md section 3, session 17).

    The drawn frequencies are the means of the probabilities each call was drawn from
    (:func:`drawn_freqs`), not the counts of the calls: the counts add the draw's own noise, which
    the offsets then copy into every later draw as extra differentiation between the clusters
    (benchmarks/README.md section 3, session 19: pooled HWE failures 0.5-0.8 points lower on average
    over fitting seeds, at the resampled real people's level, and 2-4x less spread between fits).

    With ``n_target`` (the real calls behind ``target``: one number, per SNP, or per cluster and SNP)
    the offsets are shrunk towards 0 by how much of them is sampling noise (empirical Bayes, per
    genotype and cluster): the target's frequencies are themselves a sample, and offsets that copy
    its noise add it to the noise of every later draw, which moves SNPs near the HWE threshold over
    it (benchmarks/README.md section 3, session 14). An offset is kept in the share s2 / (s2 + v), v
    its multinomial sampling variance (target and drawn; for the drawn frequencies an upper bound),
    s2 the mean squared offset less the mean v."""
    target = np.asarray(target, np.float64)
    per_cluster = target.ndim == 3
    T = target if per_cluster else target[None]
    K, L = T.shape[0], T.shape[2]
    b = np.zeros((K, 3, L), np.float32)
    cl = np.concatenate([c for *_, c in batches]) if per_cluster else np.zeros(sum(len(c) for *_, c in batches), np.int64)
    sizes = np.bincount(cl, minlength=K)
    G, freqs = drawn_freqs(batches, b, K, temperature, ar_gain)
    for _ in range(int(iterations)):
        for c in range(K):
            if sizes[c]:
                step = np.log(T[c]) - np.log(freqs[c])
                b[c] = b[c] + (step - step[0:1])  # (only differences between genotypes matter)
        G, freqs = drawn_freqs(batches, b, K, temperature, ar_gain)
    if n_target is not None:
        n_t = np.broadcast_to(np.asarray(n_target, np.float64).reshape(K, -1), (K, L))
        for c in range(K):
            if sizes[c]:
                b[c] = b[c] * _shrinkage(b[c], T[c], freqs[c], n_t[c], int(sizes[c]))
    return (b if per_cluster else b[0]), G


def drawn_freqs(batches: list, offsets: np.ndarray, k: int, temperature: float = 1.0, ar_gain: float = 1.0,
                pseudo: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """The calls of ``batches`` read out with ``offsets`` (K, 3, L), and each cluster's genotype
    frequencies (K, 3, L; one cluster, 0, where ``k`` is 1): the mean over its people of the
    probability each call was drawn from, plus ``pseudo`` counts per genotype (as
    :func:`genotype_freqs`). Same expectation as the calls' frequencies, less noise."""
    sums = np.zeros((k, 3, offsets.shape[-1]), np.float64)
    counts = np.zeros(k, np.float64)
    calls = []
    for w, lg, u, c in batches:
        c = np.asarray(c) if k > 1 else np.zeros(len(lg), np.int64)
        g, p = readout_calls(lg, u, w, temperature, ar_gain, offsets=offsets, cluster=c, probs=True)
        calls.append(g)
        for j in np.unique(c):
            sums[j] += p[c == j].sum(axis=0)
            counts[j] += np.sum(c == j)
    freqs = (sums + float(pseudo)) / (counts[:, None, None] + 3 * float(pseudo))
    return np.concatenate(calls), freqs


def _shrinkage(b: np.ndarray, target: np.ndarray, drawn: np.ndarray, n_target, n_drawn: int) -> np.ndarray:
    """The share of each offset that is not sampling noise (1 for genotype 0, whose offset is 0)."""
    lam = np.ones_like(b, dtype=np.float64)
    for g in (1, 2):  # var of log(x_g / x_0) for multinomial counts: (1 / q_g + 1 / q_0) / n
        v = (1 / target[g] + 1 / target[0]) / np.asarray(n_target, np.float64) + (1 / drawn[g] + 1 / drawn[0]) / n_drawn
        s2 = max(0.0, float(np.mean(b[g].astype(np.float64) ** 2) - np.mean(v)))
        lam[g] = s2 / (s2 + v)
    return lam

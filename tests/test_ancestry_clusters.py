"""Ancestry-cluster conditioning of the latent diffusion: clusters, exact shares, and a small
population that the generator keeps at its real share."""
from __future__ import annotations

import numpy as np
import pytest

from snpgen import structure

torch = pytest.importorskip("torch")

from snpgen.models import train_diffusion, train_vae  # noqa: E402

TINY_VAE = {"embed_dim": 4, "patch": 4, "channels": [16, 16], "latent_channels": 2, "epochs": 20,
            "batch_size": 32, "lr": 3e-3, "patience": 0, "kl_weight": 0.01, "pheno_weight": 0.5,
            "dropout": 0.0, "pheno_hidden": 16, "encoder_patience": 0}
TINY_DIFF = {"denoiser": "mlp", "mlp_hidden": 64, "mlp_blocks": 2, "emb_dim": 32, "epochs": 8,
             "steps_per_epoch": 40, "batch_size": 128, "lr": 2e-3, "ema_decay": 0.99, "check_samples": 0}


def two_populations(n: int, minor: float = 0.12, L: int = 60, seed: int = 0):
    """Genotypes of two populations whose allele frequencies differ strongly; labels independent."""
    rng = np.random.default_rng(seed)
    pop = (rng.random(n) < minor).astype(np.int64)
    f = np.stack([rng.uniform(0.05, 0.5, L), rng.uniform(0.5, 0.95, L)])
    X = rng.binomial(2, f[pop]).astype(np.int8)
    y = (rng.random(n) < 0.3).astype(np.int8)
    return X, y, pop


def test_clusters_find_the_populations_and_shares_are_per_class():
    X, y, pop = two_populations(800)
    cl, k = structure.ancestry_clusters(X, n_pcs=2, max_clusters=4, min_size=20)
    assert k == 2
    agree = max(np.mean(cl == pop), np.mean(cl != pop))
    assert agree > 0.98
    shares = structure.cluster_shares(cl, y, k)
    assert set(shares) == {"0", "1", "all"} and abs(sum(shares["1"]) - 1) < 1e-9


def test_draw_clusters_gives_each_class_its_shares():
    y = np.array([0] * 90 + [1] * 11)
    shares = {"0": [0.7, 0.2, 0.1], "1": [0.5, 0.5, 0.0], "all": [0.68, 0.22, 0.1]}
    c = structure.draw_clusters(y, shares, seed=3)
    assert np.bincount(c[y == 0], minlength=3).tolist() == [63, 18, 9]
    assert sorted(np.bincount(c[y == 1], minlength=3).tolist()) == [0, 5, 6]
    assert (structure.draw_clusters(y, shares, seed=3) == c).all()


def test_conditioned_diffusion_keeps_a_small_population_at_its_share():
    from snpgen.sample import generate

    torch.set_num_threads(1)
    X, y, pop = two_populations(900, minor=0.12, seed=1)
    vae, _ = train_vae(X[:700], y[:700], X[700:], y[700:], TINY_VAE, seed=2, device="cpu", log=lambda s: None)
    p = {**TINY_DIFF, "ancestry_clusters": 4, "cluster_pcs": 2, "cluster_min_size": 20}
    diff, _ = train_diffusion(vae, X[:700], y[:700], p, seed=3, device="cpu", log=lambda s: None)
    assert diff["clusters"]["n"] == 2
    G, ys = generate(vae, diff, 400, 0.3, sampler="ddim", steps=10, seed=4, device="cpu")
    # assign synthetic people to the real populations by their nearer population allele frequencies
    f = np.stack([X[:700][pop[:700] == k].mean(0) / 2 for k in (0, 1)]).clip(0.01, 0.99)
    loglik = G @ np.log(f).T + (2 - G) @ np.log(1 - f).T
    minor_share = float(np.mean(loglik.argmax(1) == 1))
    assert abs(minor_share - np.mean(pop[:700] == 1)) < 0.04, minor_share
    # the cluster condition is obeyed: ask for the small population only
    k_minor = int(np.argmin(diff["clusters"]["shares"]["all"]))
    only = [float(k == k_minor) for k in range(2)]
    forced = {**diff, "clusters": {"n": 2, "shares": {"0": only, "1": only, "all": only}}}
    G, _ = generate(vae, forced, 200, 0.3, sampler="ddim", steps=10, seed=4, device="cpu")
    loglik = G @ np.log(f).T + (2 - G) @ np.log(1 - f).T
    assert np.mean(loglik.argmax(1) == 1) > 0.8


def test_cluster_readout_decodes_each_cluster_at_its_own_frequencies():
    """The cluster read-out starts at each cluster's genotype frequencies, decode() needs the
    cluster, and the checkpoint carries the clusters the diffusion is then conditioned on."""
    from snpgen.models.train import build_vae

    torch.set_num_threads(1)
    X, y, pop = two_populations(600, minor=0.3, seed=5)
    settings = {"ancestry_clusters": 4, "cluster_pcs": 2, "cluster_min_size": 20}
    vae, _ = train_vae(X[:500], y[:500], X[500:], y[500:], {**TINY_VAE, "epochs": 1}, seed=2, device="cpu",
                       log=lambda s: None, clusters=settings)
    assert vae["clusters"]["n"] == 2 and vae["clusters"]["readout"]
    cl = vae["clusters"]["train"].numpy()
    assert max(np.mean(cl == pop[:500]), np.mean(cl != pop[:500])) > 0.98
    model = build_vae(vae)
    z = torch.zeros(2, *model.latent_shape)
    with pytest.raises(ValueError, match="cluster"):
        model.decode(z)
    with torch.no_grad():
        alt = torch.softmax(model.decode(z, torch.tensor([0, 1])), dim=1)
    dosage = (alt[:, 1] + 2 * alt[:, 2]).numpy() / 2  # expected ALT frequency per cluster, SNP
    real = np.stack([X[:500][cl == k].mean(0) / 2 for k in (0, 1)])
    assert np.corrcoef(dosage[0] - dosage[1], real[0] - real[1])[0, 1] > 0.9
    off, _ = train_vae(X[:500], y[:500], X[500:], y[500:], {**TINY_VAE, "epochs": 1, "cluster_readout": False},
                       seed=2, device="cpu", log=lambda s: None, clusters=settings)
    assert off["clusters"]["n"] == 2 and not off["clusters"]["readout"]
    assert build_vae(off).decode(z).shape == (2, 3, X.shape[1])


def test_no_clusters_without_pcs_above_the_noise_bulk():
    """One population: the leading PCs do not stand out of the eigenvalue bulk, so no clusters
    (a mixture on them would split a continuum); two populations: their PC does."""
    rng = np.random.default_rng(7)
    one = rng.binomial(2, rng.uniform(0.1, 0.5, 300), size=(600, 300)).astype(np.int8)
    fit = structure.fit_ancestry_clusters(one, n_pcs=2, min_size=20, seed=1, min_eigen_ratio=2.0)
    assert fit["n"] == 1 and not fit["cluster"].any()
    assert structure.fit_ancestry_clusters(one, n_pcs=2, min_size=20, seed=1)["n"] >= 1  # ratio 0: the old fit
    X, _, pop = two_populations(600, minor=0.3, L=300, seed=8)
    fit = structure.fit_ancestry_clusters(X, n_pcs=2, min_size=20, seed=1, min_eigen_ratio=2.0)
    assert fit["n"] == 2 and max(np.mean(fit["cluster"] == pop), np.mean(fit["cluster"] != pop)) > 0.98
    assert structure.signal_pcs(np.array([10.0, 4.0, 1.2, 1, 1, 1, 1, 1, 1, 1]), 2, 2.0) == 2
    assert structure.signal_pcs(np.array([1.6, 1.3, 1.1, 1, 1, 1, 1, 1, 1, 1]), 2, 2.0) == 0


def test_diffusion_has_clusters_only_when_the_vae_has_them():
    """A VAE that found no clusters (a homogeneous cohort, or clusters off) gives a diffusion
    without clusters whatever diffusion.ancestry_clusters says (session 10: the diffusion used to
    refit clusters on LD-block PCs then); a VAE checkpoint from before the clusters moved into it
    (no "clusters" key) gets them fitted as train_vae would."""
    torch.set_num_threads(1)
    X, y, _ = two_populations(500, minor=0.3, seed=6)
    vae, _ = train_vae(X[:400], y[:400], X[400:], y[400:], {**TINY_VAE, "epochs": 2}, seed=2, device="cpu",
                       log=lambda s: None, clusters={"ancestry_clusters": 0})
    assert vae["clusters"] == {"n": 0}
    p = {**TINY_DIFF, "epochs": 1, "steps_per_epoch": 2, "ancestry_clusters": 4, "cluster_pcs": 2,
         "cluster_min_size": 20}
    diff, _ = train_diffusion(vae, X[:400], y[:400], p, seed=3, device="cpu", log=lambda s: None)
    assert diff["clusters"] == {"n": 0}
    old = {k: v for k, v in vae.items() if k != "clusters"}
    diff, _ = train_diffusion(old, X[:400], y[:400], p, seed=3, device="cpu", log=lambda s: None)
    assert diff["clusters"]["n"] == 2

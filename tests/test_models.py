"""Genotype VAE + latent diffusion: shapes, imputation, training signal, guidance, determinism."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from snpgen.models import (GaussianDiffusion, GenotypeVAE, build_denoiser, impute_missing,  # noqa: E402
                           one_hot, pick_device, train_diffusion, train_vae)
from snpgen.models.train import genotype_freqs  # noqa: E402
from snpgen.models.vae import allele_freqs  # noqa: E402

TINY_VAE = {"embed_dim": 4, "patch": 4, "channels": [16, 16], "latent_channels": 2, "epochs": 8,
            "batch_size": 32, "lr": 3e-3, "patience": 0, "kl_weight": 0.01, "pheno_weight": 0.5,
            "dropout": 0.0, "pheno_hidden": 16, "encoder_patience": 0}
TINY_DIFF = {"denoiser": "mlp", "mlp_hidden": 128, "mlp_blocks": 2, "emb_dim": 32, "epochs": 4,
             "steps_per_epoch": 50, "batch_size": 128, "lr": 2e-3, "ema_decay": 0.99, "check_samples": 128}


def block_cohort(n: int, n_blocks: int = 6, block: int = 10, seed: int = 0, signal: float = 0.0):
    """Genotypes from block-wise haplotype pools (strong LD), and labels tied to block 0's haplotype.

    signal > 0: cases carry haplotype 0 of block 0 more often (a strong, learnable association).
    """
    rng = np.random.default_rng(seed)
    pools = [rng.integers(0, 2, size=(3, block)) for _ in range(n_blocks)]
    y = (rng.random(n) < 0.4).astype(np.int8)
    haps = []
    for _ in range(2):
        blocks = []
        for b, pool in enumerate(pools):
            w = np.array([0.5, 0.3, 0.2])
            k = rng.choice(3, size=n, p=w)
            if b == 0 and signal > 0:
                k = np.where(y == 1, np.where(rng.random(n) < signal, 0, k), np.where(k == 0, 1, k))
            blocks.append(pool[k])
        haps.append(np.concatenate(blocks, axis=1))
    X = (haps[0] + haps[1]).astype(np.int8)
    return X, y


def test_pick_device_auto():
    dev = pick_device("auto")
    assert dev.type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert pick_device("cpu").type == "cpu"


def test_one_hot_and_vae_shapes_with_padding():
    L = 37  # not a multiple of the downsampling factor (4 * 2 = 8)
    G = torch.randint(0, 3, (5, L))
    oh = one_hot(G)
    assert oh.shape == (5, 3, L)
    assert torch.equal(oh.sum(1), torch.ones(5, L))
    assert torch.equal(oh.argmax(1), G)
    for tokens in (0, 1):  # one global token: one latent position after the 5 local ones
        vae = GenotypeVAE(L, {**TINY_VAE, "global_tokens": tokens})
        assert vae.padded == 40 and vae.local_len == 5 and vae.latent_shape == (2, 5 + tokens)
        logits, mu, logvar, pl = vae(one_hot(G, vae.padded))
        assert logits.shape == (5, 3, L)
        assert mu.shape == logvar.shape == (5, 2, 5 + tokens)
        assert pl.shape == (5,)
        assert vae.decode(mu).shape == (5, 3, L)


def test_decoder_bias_starts_at_genotype_frequencies():
    X, _ = block_cohort(300)
    gf = genotype_freqs(X)
    vae = GenotypeVAE(X.shape[1], {**TINY_VAE, "genotype_model": "categorical"}, gf)
    # the per-SNP read-out bias starts at the log genotype frequencies (the trivial solution)
    assert np.allclose(torch.softmax(vae.head_b[:, : X.shape[1]], 0).detach().numpy(), gf, atol=1e-3)


def test_autoregressive_sampling_follows_its_conditional_distribution():
    """sample_calls draws SNP j given the calls already drawn at j-1..j-K: a two-SNP chain with a
    known conditional table comes out with those conditional frequencies; lag weights of zero give
    the independent draw, call for call."""
    from snpgen.models.vae import sample_calls

    rng = np.random.default_rng(0)
    n, L = 20000, 2
    logits = np.zeros((n, 3, L), np.float32)
    logits[:, :, 0] = np.log([0.5, 0.3, 0.2])
    ar_w = np.zeros((1, 3, 3, L), np.float32)
    table = np.array([[0.8, 0.15, 0.05], [0.1, 0.8, 0.1], [0.05, 0.15, 0.8]])  # P(call_1 | call_0)
    ar_w[0, :, :, 1] = np.log(table)
    u = rng.random((n, L), dtype=np.float32)
    G = sample_calls(logits, u, ar_w)
    assert G.dtype == np.int8 and G.shape == (n, L)
    assert np.allclose(np.bincount(G[:, 0], minlength=3) / n, [0.5, 0.3, 0.2], atol=0.015)
    for a in range(3):
        got = np.bincount(G[G[:, 0] == a, 1], minlength=3) / (G[:, 0] == a).sum()
        assert np.allclose(got, table[a], atol=0.03), (a, got)
    assert np.array_equal(sample_calls(logits, u, np.zeros_like(ar_w)), sample_calls(logits, u, None))
    # argmax follows the chain too: call_0 = 0 everywhere, so call_1 = argmax(table[0]) = 0
    assert np.array_equal(sample_calls(logits, u, ar_w, argmax=True), np.zeros((n, L), np.int8))


def test_sample_calls_reports_the_probabilities_each_call_was_drawn_from():
    """With probs, sample_calls also returns each call's genotype probabilities given that person's
    preceding calls: the first SNP's are its softmax, the second's the row of the chain's table
    picked by the first call; the calls are the same as without probs."""
    from snpgen.models.vae import sample_calls

    rng = np.random.default_rng(1)
    n, L = 500, 2
    logits = np.zeros((n, 3, L), np.float32)
    logits[:, :, 0] = np.log([0.5, 0.3, 0.2])
    ar_w = np.zeros((1, 3, 3, L), np.float32)
    table = np.array([[0.8, 0.15, 0.05], [0.1, 0.8, 0.1], [0.05, 0.15, 0.8]])
    ar_w[0, :, :, 1] = np.log(table)
    u = rng.random((n, L), dtype=np.float32)
    G, P = sample_calls(logits, u, ar_w, probs=True)
    assert np.array_equal(G, sample_calls(logits, u, ar_w)) and P.shape == (n, 3, L)
    assert np.allclose(P[:, :, 0], [0.5, 0.3, 0.2], atol=1e-6)
    assert np.allclose(P[:, :, 1], table[G[:, 0]], atol=1e-6)
    G0, P0 = sample_calls(logits, u, None, probs=True)  # no lags: every SNP's softmax
    assert np.array_equal(G0, sample_calls(logits, u, None)) and np.allclose(P0[:, :, 1], 1 / 3, atol=1e-6)


@pytest.mark.parametrize("genotype_model", ["categorical", "binomial"])
def test_autoregressive_readout_teacher_forcing_matches_sequential_logits(genotype_model):
    """ar_logits (training, all SNPs at once) adds exactly the lag terms sample_calls uses."""
    L = 12
    vae = GenotypeVAE(L, {**TINY_VAE, "ar_lags": 3, "genotype_model": genotype_model})
    with torch.no_grad():
        vae.ar_w.normal_()
    G = torch.randint(0, 3, (4, L))
    base = torch.randn(4, 3, L)
    got = vae.ar_logits(base, G)
    w = vae.ar_table().detach()
    assert w.shape == (3, 3, 3, L)
    for i in range(4):
        for j in range(L):
            want = base[i, :, j].clone()
            for k in range(1, min(3, j) + 1):
                want += w[k - 1, G[i, j - k], :, j]
            assert torch.allclose(got[i, :, j], want, atol=1e-5)
    assert torch.equal(GenotypeVAE(L, TINY_VAE).ar_logits(base, G), base)  # ar_lags 0: unchanged


def test_binomial_readout_gives_hardy_weinberg_calls():
    """The binomial read-out's genotype probabilities are (1-p)^2, 2p(1-p), p^2 for any latent
    and any preceding calls (the lag terms only move p); the categorical one need not be."""
    L = 10
    vae = GenotypeVAE(L, {**TINY_VAE, "ar_lags": 2, "genotype_model": "binomial"}).eval()
    with torch.no_grad():
        vae.ar_w.normal_()
        vae.head_b.normal_()
    z = torch.randn(6, *vae.latent_shape)
    G = torch.randint(0, 3, (6, L))
    prob = torch.softmax(vae.ar_logits(vae.decode(z), G), dim=1).detach()
    p = prob[:, 1] / 2 + prob[:, 2]
    assert torch.allclose(prob, torch.stack([(1 - p) ** 2, 2 * p * (1 - p), p ** 2], 1), atol=1e-5)
    gf = np.array([[0.49] * L, [0.42] * L, [0.09] * L])  # ALT frequency 0.3
    start = GenotypeVAE(L, {**TINY_VAE, "genotype_model": "binomial"}, gf)
    assert torch.allclose(torch.sigmoid(start.head_b[0, :L]), torch.full((L,), 0.3), atol=1e-5)


def test_impute_missing_is_seeded_and_follows_allele_frequencies():
    rng = np.random.default_rng(1)
    af = np.array([0.1, 0.5, 0.9])
    X = rng.binomial(2, af, size=(4000, 3)).astype(np.int8)
    X[rng.random(X.shape) < 0.5] = -1
    a = impute_missing(X, af, 3)
    b = impute_missing(X, af, 3)
    assert np.array_equal(a, b)
    assert not (a < 0).any()
    obs = X >= 0
    assert np.array_equal(a[obs], X[obs])
    for j in range(3):
        vals = a[~obs[:, j], j]
        assert abs(vals.mean() / 2 - af[j]) < 0.03
    assert allele_freqs(X).round(1).tolist() == [0.1, 0.5, 0.9]


@pytest.fixture(scope="module")
def trained():
    """Tiny VAE + diffusion trained on a strongly label-associated block cohort (a few seconds)."""
    torch.set_num_threads(1)
    Xall, yall = block_cohort(1200, signal=0.9, seed=2)
    X, y, Xv, yv = Xall[:900], yall[:900], Xall[900:], yall[900:]
    X = X.copy()
    X[np.random.default_rng(0).random(X.shape) < 0.01] = -1  # some missing calls
    logs = []
    vae_state, vhist = train_vae(X, y, Xv, yv, TINY_VAE, seed=5, device="cpu", log=logs.append,
                                 config_hash="abc123")
    diff_state, dhist = train_diffusion(vae_state, X, y, TINY_DIFF, seed=5, device="cpu", log=logs.append,
                                        config_hash="abc123")
    return {"X": X, "y": y, "Xv": Xv, "yv": yv, "vae": vae_state, "diff": diff_state,
            "vhist": vhist, "dhist": dhist, "logs": logs}


def test_vae_reconstructs_better_than_trivial(trained):
    st, hist = trained["vae"], trained["vhist"]
    assert len(hist) == TINY_VAE["epochs"]
    assert st["val_recon_acc"] > st["val_trivial_acc"] + 0.05, (st["val_recon_acc"], st["val_trivial_acc"])
    assert st["val_auc"] > 0.8  # the phenotype head picks up the planted association
    assert [r["epoch"] for r in hist if r["kept"]] == [st["best_epoch"]]  # the report reads this mark
    # one log line per epoch (plus header/summary lines), no genotype rows
    assert sum(line.startswith("epoch") for line in trained["logs"]) == len(hist) + len(trained["dhist"])


def test_checkpoint_records_provenance(trained):
    for st in (trained["vae"], trained["diff"]):
        assert st["config_hash"] == "abc123"
        assert st["seed"] == 5
        assert st["n_snps"] == trained["X"].shape[1]
        assert set(st["versions"]) == {"torch", "numpy", "snpgen"}
        assert isinstance(st["params"], dict)
    assert trained["diff"]["latent_mean"].shape == tuple(trained["vae"]["latent_shape"])
    assert (trained["diff"]["latent_std"] > 0).all()


def test_checkpoint_roundtrip_weights_only(trained, tmp_path):
    from snpgen.models.train import _save, load_checkpoint

    _save(trained["vae"], tmp_path / "vae.pt")
    st = load_checkpoint(tmp_path / "vae.pt", "snpgen-vae")  # weights_only=True load
    assert st["val_recon_acc"] == trained["vae"]["val_recon_acc"]
    with pytest.raises(ValueError):
        load_checkpoint(tmp_path / "vae.pt", "snpgen-diffusion")


def _real_classifier(X, y):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=0.1, max_iter=1000).fit(X, y)


def test_guidance_controls_the_label_of_generated_individuals(trained):
    """A classifier trained on real data must call far more 'case'-conditioned synthetic individuals
    cases than 'control'-conditioned ones; without conditioning (scale 0) the two match."""
    from snpgen.sample import generate

    clf = _real_classifier(impute_missing(trained["X"], allele_freqs(trained["X"]), 0), trained["y"])
    frac = {}
    for scale in (0.0, 3.0):
        for cf in (0.0, 1.0):
            G, y = generate(trained["vae"], trained["diff"], 300, cf, guidance_scale=scale, sampler="ddim",
                            steps=20, seed=11, device="cpu")
            assert set(np.unique(y)) == {int(cf)}
            frac[(scale, cf)] = clf.predict(G).mean()
    real = trained["y"].mean()
    assert frac[(3.0, 1.0)] - frac[(3.0, 0.0)] > 0.4, frac
    assert frac[(3.0, 1.0)] > real and frac[(3.0, 0.0)] < real, frac
    assert abs(frac[(0.0, 1.0)] - frac[(0.0, 0.0)]) < 0.1, frac
    # the training-time check stored in the checkpoint agrees
    gc = trained["diff"]["guidance_check"]
    assert gc["3.0"]["auc"] > 0.8 and abs(gc["0.0"]["auc"] - 0.5) < 0.15


def test_ddpm_and_ddim_samplers_shapes():
    p = {"denoiser": "unet", "base_channels": 8, "channel_mults": [1, 2], "emb_dim": 16, "timesteps": 50}
    net = build_denoiser((2, 7), p).eval()
    diff = GaussianDiffusion(50, "linear")
    y = torch.tensor([0, 1, 1])
    for sampler in ("ddpm", "ddim"):
        z = diff.sample(net, (3, 2, 7), y, guidance_scale=2.0, sampler=sampler, steps=10,
                        generator=torch.Generator().manual_seed(0))
        assert z.shape == (3, 2, 7) and torch.isfinite(z).all()
    with pytest.raises(ValueError):
        diff.sample(net, (3, 2, 7), y, sampler="euler")


def test_same_seed_same_models():
    X, y = block_cohort(200, n_blocks=3, seed=4)
    p = {**TINY_VAE, "epochs": 2}
    a, _ = train_vae(X[:150], y[:150], X[150:], y[150:], p, seed=9, device="cpu", log=lambda s: None)
    b, _ = train_vae(X[:150], y[:150], X[150:], y[150:], p, seed=9, device="cpu", log=lambda s: None)
    for k in a["model"]:
        assert torch.equal(a["model"][k], b["model"][k]), k


def test_encoder_patience_freezes_encoder_and_head_at_the_best_auc_epoch():
    """With labels that are pure noise the head's validation AUC stops improving soon: the model
    goes back to that epoch, and from then on encoder and head do not change (the head's validation
    AUC stays exactly that epoch's) while the decoder keeps training; the kept epoch is marked."""
    X, _ = block_cohort(400, n_blocks=3, seed=6)
    y = np.random.default_rng(1).integers(0, 2, 400).astype(np.int8)
    p = {**TINY_VAE, "epochs": 12, "encoder_patience": 1, "pheno_hidden": 0}
    logs: list[str] = []
    st, hist = train_vae(X[:300], y[:300], X[300:], y[300:], p, seed=3, device="cpu", log=logs.append)
    k = st["encoder_frozen_epoch"]
    assert k is not None and any("encoder frozen" in line for line in logs)
    frozen = [r for r in hist if r["encoder_frozen"]]
    assert frozen and all(r["epoch"] > k for r in frozen)
    assert all(r["val_auc"] == hist[k - 1]["val_auc"] for r in frozen)  # encoder + head unchanged
    assert len({r["train_rec"] for r in frozen}) == len(frozen)  # ... the decoder still learns
    assert [r["epoch"] for r in hist if r["kept"]] == [st["best_epoch"]] and st["best_epoch"] >= k


def test_unknown_params_are_rejected():
    X, y = block_cohort(50, n_blocks=2)
    with pytest.raises(ValueError, match="unknown vae params"):
        train_vae(X, y, X, y, {"epochz": 3}, seed=1, device="cpu", log=lambda s: None)


@pytest.mark.parametrize("sampler,steps,eta", [("heun", 25, 0.0), ("ddim", 200, 0.0), ("ddim", 200, 1.0),
                                               ("ddpm", 0, 0.0)])
def test_untrained_denoiser_with_gaussian_skip_samples_standard_normal(sampler, steps, eta):
    """With the Gaussian skip, a zero-output network is the exact denoiser of N(0, I) data: every
    sampler must then return standard-normal latents (a wrong step formula shows up as a wrong
    variance; DDIM needs all steps for that, Heun only 25), and the stochastic DDIM (eta > 0) must be
    reproducible for a fixed seed."""
    net = build_denoiser((2, 7), {"denoiser": "mlp", "mlp_hidden": 16, "mlp_blocks": 1, "emb_dim": 8}).eval()
    with torch.no_grad():
        for p_ in net.parameters():
            p_.zero_()
    diff = GaussianDiffusion(200, "linear", gaussian_skip=True)
    y = torch.zeros(1000, dtype=torch.long)
    z = diff.sample(net, (1000, 2, 7), y, guidance_scale=1.0, sampler=sampler, steps=steps, eta=eta,
                    generator=torch.Generator().manual_seed(0))
    assert abs(float(z.mean())) < 0.05
    assert 0.9 < float(z.var()) < 1.1, float(z.var())
    if eta > 0:
        z2 = diff.sample(net, (1000, 2, 7), y, guidance_scale=1.0, sampler=sampler, steps=steps, eta=eta,
                         generator=torch.Generator().manual_seed(0))
        assert torch.equal(z, z2)


def test_vae_step_budget_stops_training_early():
    rng = np.random.default_rng(3)
    X = rng.binomial(2, 0.3, size=(200, 40)).astype(np.int8)
    y = (rng.random(200) < 0.3).astype(np.int8)
    p = {**TINY_VAE, "epochs": 5, "batch_size": 32, "max_steps": 10, "patience": 0, "encoder_patience": 0}
    _, hist = train_vae(X[:160], y[:160], X[160:], y[160:], p, seed=1, device="cpu", log=lambda s: None,
                        clusters={"ancestry_clusters": 0})
    assert len(hist) == 2  # 5 steps per epoch: 10 steps = 2 epochs


def test_bfloat16_autocast_path_trains_and_samples(monkeypatch):
    """The CUDA path's mixed precision (bfloat16 autocast), exercised on the CPU: every model output
    used outside an autocast block must be cast back first. A CUDA run of the benchmark failed here
    (the validation pass fed a bfloat16 latent to the float32 ancestry head)."""
    from snpgen import sample
    from snpgen.models import runtime
    from snpgen.models import train as tr

    def cpu_bf16(device):
        return torch.autocast(device_type="cpu", dtype=torch.bfloat16)

    monkeypatch.setattr(tr, "autocast", cpu_bf16)
    monkeypatch.setattr(runtime, "autocast", cpu_bf16)
    torch.set_num_threads(1)
    X, y = block_cohort(240, n_blocks=3, seed=6, signal=0.9)
    vae, hist = train_vae(X[:200], y[:200], X[200:], y[200:], {**TINY_VAE, "epochs": 1}, seed=3, device="cpu",
                          log=lambda s: None)
    assert np.isfinite(hist[0]["val_recon_acc"])
    diff, _ = train_diffusion(vae, X[:200], y[:200], {**TINY_DIFF, "epochs": 1, "steps_per_epoch": 5, "check_samples": 16},
                              seed=3, device="cpu", log=lambda s: None)
    G, lab = sample.generate(vae, diff, 50, case_fraction=0.5, seed=1, device="cpu", steps=5)
    assert G.shape == (50, X.shape[1]) and set(np.unique(G)) <= {0, 1, 2} and lab.sum() == 25


def test_latent_noise_draws_minibatches_from_the_posterior():
    """model.diffusion.latent_noise: 0 trains on the posterior means themselves (the minibatch is z[idx],
    the random stream as before); lam > 0 adds lam posterior SDs of Gaussian noise per element, fresh each
    time a person is drawn, so a person's training latents scatter around its mean by lam * sd."""
    from snpgen.models.train import _DiffusionTraining, _diffusion_params

    n, shape = 64, (2, 5)
    z = torch.randn((n, *shape), generator=torch.Generator().manual_seed(0))
    sd = torch.full((n, *shape), 0.5)
    sd[:, 1] = 2.0  # a second channel with a wider posterior
    y = torch.zeros(n, dtype=torch.long)

    def batches(lam: float, k: int) -> torch.Tensor:
        p = _diffusion_params({**TINY_DIFF, "batch_size": n, "latent_noise": lam, "label_dropout": 0.0})
        run = _DiffusionTraining(z, y, 0, p, seed=3, device=torch.device("cpu"), z_sd=sd)
        out = []
        for _ in range(k):
            run.perm = torch.arange(n)  # the same order every time: compare with z itself
            run.pos = 0
            out.append(run._batch()[0])
        return torch.stack(out)

    assert torch.equal(batches(0.0, 2), torch.stack([z, z]))
    noise = batches(0.3, 200) - z
    assert abs(float(noise.mean())) < 0.01
    assert float(noise[:, :, 0].std()) == pytest.approx(0.3 * 0.5, rel=0.05)
    assert float(noise[:, :, 1].std()) == pytest.approx(0.3 * 2.0, rel=0.05)
    assert not torch.equal(noise[0], noise[1]), "the noise is drawn afresh each time"

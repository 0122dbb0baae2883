"""Synthetic cohort generation and writing: PLINK validity, determinism, baseline, script adapters."""
from __future__ import annotations

import runpy
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import polars as pl
import pytest

torch = pytest.importorskip("torch")

from snpgen import io  # noqa: E402
from snpgen.baseline import class_allele_freqs, sample_baseline  # noqa: E402
from snpgen.sample import generate, make_labels, resolve_case_fraction, write_cohort  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "workflow" / "scripts"

TINY_VAE = {"embed_dim": 4, "patch": 4, "channels": [8, 8], "latent_channels": 1, "epochs": 2,
            "batch_size": 64, "patience": 0, "pheno_hidden": 8}
TINY_DIFF = {"denoiser": "unet", "base_channels": 8, "channel_mults": [1, 2], "emb_dim": 16, "epochs": 2,
             "steps_per_epoch": 5, "batch_size": 64, "timesteps": 100, "check_samples": 8}


def _bim(L: int) -> pl.DataFrame:
    return pl.DataFrame({"CHR": ["1"] * L, "ID": [f"1:{1000 + 10 * j}" for j in range(L)], "CM": [0.0] * L,
                         "POS": [1000 + 10 * j for j in range(L)], "A1": ["A"] * L, "A2": ["G"] * L})


def _cohort(n: int, L: int, seed: int):
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.1, 0.9, L)
    y = (rng.random(n) < 0.3).astype(np.int8)
    G = rng.binomial(2, np.where(y[:, None] == 1, np.clip(p + 0.1, 0, 1), p)).astype(np.int8)
    return G, y


def _write_real(prefix: Path, G, y, missing_pheno: int = 0):
    ids = [f"R{i}" for i in range(len(y))]
    ph = np.where(y == 1, "2", "1").astype(object)
    ph[:missing_pheno] = "-9"
    fam = pl.DataFrame({"FID": ids, "IID": ids, "SEX": [1] * len(y), "PHENO": ph.tolist()})
    io.write_bed(prefix, G, fam, _bim(G.shape[1]))


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Real-like train/val filesets and tiny trained checkpoints written by the file-level wrappers."""
    from snpgen.models.train import train_diffusion_files, train_vae_files

    torch.set_num_threads(1)
    d = tmp_path_factory.mktemp("models")
    G, y = _cohort(300, 45, 0)  # 45 SNPs: not a multiple of the VAE's downsampling factor
    G[0, :3] = -1
    _write_real(d / "train", G[:200], y[:200], missing_pheno=3)
    _write_real(d / "val", G[200:], y[200:])
    logs = []
    train_vae_files(str(d / "train.bed"), str(d / "val.bed"), str(d / "vae.pt"), str(d / "vae_history.tsv"),
                    str(d / "vae_curve.png"), TINY_VAE, seed=3, config_hash="h1", device="cpu", log=logs.append)
    train_diffusion_files(str(d / "vae.pt"), str(d / "train.bed"), str(d / "diffusion.pt"),
                          str(d / "diffusion_history.tsv"), str(d / "diffusion_curve.png"), TINY_DIFF, seed=3,
                          config_hash="h1", device="cpu", log=logs.append)
    return d


def test_training_outputs(files):
    for name in ("vae.pt", "diffusion.pt", "vae_curve.png", "diffusion_curve.png"):
        assert (files / name).stat().st_size > 0
    h = pl.read_csv(files / "vae_history.tsv", separator="\t")
    assert h.height == TINY_VAE["epochs"]
    assert {"epoch", "train_loss", "val_recon_acc", "val_trivial_acc", "val_auc"} <= set(h.columns)
    assert pl.read_csv(files / "diffusion_history.tsv", separator="\t").height == TINY_DIFF["epochs"]
    assert (files / "vae_curve.png").read_bytes()[:4] == b"\x89PNG"


def test_write_cohort_is_valid_plink(tmp_path):
    G, _ = _cohort(40, 12, 1)
    y = make_labels(40, 0.25, 0)
    bim = _bim(12)
    write_cohort(tmp_path / "syn", G, y, bim)
    assert np.array_equal(io.read_genotypes(tmp_path / "syn"), G)
    fam = io.read_fam(tmp_path / "syn")
    assert fam["IID"].to_list()[:2] == ["SYN000001", "SYN000002"]
    assert fam["FID"].to_list() == fam["IID"].to_list()
    assert fam["PHENO"].to_list() == np.where(y == 1, "2", "1").tolist()
    assert io.read_bim(tmp_path / "syn").select("ID", "A1", "A2").equals(bim.select("ID", "A1", "A2"))
    ph = pl.read_csv(tmp_path / "syn.pheno.tsv", separator="\t")
    assert ph.columns == ["FID", "IID", "case"] and ph["case"].to_list() == y.tolist()
    if shutil.which("plink2"):
        proc = subprocess.run(["plink2", "--bfile", str(tmp_path / "syn"), "--freq", "--out",
                               str(tmp_path / "freq")], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        freq = pl.read_csv(tmp_path / "freq.afreq", separator="\t")
        assert np.allclose(freq["ALT_FREQS"].to_numpy(), G.mean(0) / 2, atol=1e-6)


def test_labels_and_case_fraction_modes():
    y = make_labels(1000, 0.2, 1)
    assert y.sum() == 200 and y.dtype == np.int8
    assert not np.array_equal(y, np.sort(y)[::-1])  # shuffled
    assert resolve_case_fraction(None, "matched", 0.17) == 0.17
    assert resolve_case_fraction(None, "augmented", 0.17) == 0.5
    assert resolve_case_fraction(0.3, "augmented", 0.17) == 0.3
    with pytest.raises(ValueError):
        make_labels(10, 1.5, 0)


def test_generate_is_deterministic_for_a_seed(files):
    from snpgen.models.train import load_checkpoint

    vae, diff = load_checkpoint(files / "vae.pt"), load_checkpoint(files / "diffusion.pt")
    a = generate(vae, diff, 50, 0.3, guidance_scale=2.0, sampler="ddim", steps=5, seed=4, device="cpu")
    b = generate(vae, diff, 50, 0.3, guidance_scale=2.0, sampler="ddim", steps=5, seed=4, device="cpu")
    c = generate(vae, diff, 50, 0.3, guidance_scale=2.0, sampler="ddim", steps=5, seed=5, device="cpu")
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])
    G, y = a
    assert G.shape == (50, 45) and G.dtype == np.int8 and set(np.unique(G)) <= {0, 1, 2}
    assert y.sum() == 15
    Gm, _ = generate(vae, diff, 20, 0.5, guidance_scale=1.0, sampler="ddpm", seed=4, device="cpu",
                     hard_calls="argmax", batch_size=8)
    assert Gm.shape == (20, 45)


def test_readout_temperature_and_lag_gain(files):
    """The defaults are the schema's; a temperature near 0 turns the draw into the mode (the
    argmax calls); the gain changes the calls."""
    from snpgen.models.train import load_checkpoint
    from snpgen.sample import SAMPLING_DEFAULTS as D

    vae, diff = load_checkpoint(files / "vae.pt"), load_checkpoint(files / "diffusion.pt")
    kw = dict(guidance_scale=1.0, sampler="ddim", steps=5, seed=4, device="cpu")
    plain = generate(vae, diff, 60, 0.3, temperature=1.0, ar_gain=1.0, **kw)[0]
    default = generate(vae, diff, 60, 0.3, **kw)[0]
    assert np.array_equal(default, generate(vae, diff, 60, 0.3, temperature=D["temperature"],
                                            ar_gain=D["ar_gain"], **kw)[0])
    assert (D["temperature"], D["ar_gain"]) == (1.0, 1.0) or not np.array_equal(default, plain)
    mode = generate(vae, diff, 60, 0.3, hard_calls="argmax", **kw)[0]
    cold = generate(vae, diff, 60, 0.3, temperature=1e-4, **kw)[0]
    assert (cold == mode).mean() > 0.999 and (plain == mode).mean() < 0.99
    assert vae["params"]["ar_lags"] > 0
    assert not np.array_equal(plain, generate(vae, diff, 60, 0.3, ar_gain=3.0, **kw)[0])


def test_baseline_matches_per_class_frequencies():
    G, y = _cohort(2000, 30, 2)
    G[:5, :2] = -1
    p = class_allele_freqs(G, y)
    S, ys = sample_baseline(G, y, 40000, 0.5, seed=1)
    assert ys.mean() == 0.5
    for c in (0, 1):
        assert np.abs(S[ys == c].mean(0) / 2 - p[c]).max() < 0.015
    S2, ys2 = sample_baseline(G, y, 100, 0.5, seed=1)
    assert np.array_equal(S2, sample_baseline(G, y, 100, 0.5, seed=1)[0])


class _NS(SimpleNamespace):
    def __getitem__(self, i):
        return list(vars(self).values())[i]


def _run_script(name: str, **kw):
    sm = SimpleNamespace(scriptdir=str(SCRIPTS), threads=1, **kw)
    runpy.run_path(str(SCRIPTS / name), init_globals={"snakemake": sm}, run_name="__main__")


def test_sample_scripts_write_cohorts(files, tmp_path):
    out = tmp_path / "syn"
    sampling = {"guidance_scale": 2.0, "steps": 5, "calibration_n": 100, "calibration_temperatures": [1.0, 1.1],
                "calibration_ar_gains": [1.0]}
    models = dict(vae=str(files / "vae.pt"), diffusion=str(files / "diffusion.pt"), bim=str(files / "train.bim"),
                  train=str(files / "train.bed"))
    _run_script(
        "calibrate_readout.py", input=_NS(**models), output=_NS(readout=f"{out}.readout.json"),
        params=_NS(sampling=sampling, seed=3, device="auto", ld_window=10, hwe_p=1e-6),
        log=[str(tmp_path / "calibrate.log")])
    log = (tmp_path / "calibrate.log").read_text()
    assert "read-out calibration on 100 people" in log and log.count(" gain 1.00: mean F") == 2
    assert log.count(" gain 1.00 + offsets: mean F") == 1
    import json
    ro = json.loads(Path(f"{out}.readout.json").read_text())
    assert ro["calibrated"] and ro["ar_gain"] == 1.0 and ro["temperature"] in (1.0, 1.1)
    assert len(ro["calibration"]["grid"]) == 3 and ro["calibration"]["n"] == 100
    assert [r["offsets"] for r in ro["calibration"]["grid"]] == [False, False, True]  # + gain 1.0 with offsets
    grid = ro["calibration"]["grid"]
    margin = ro["calibration"]["offset_margin"]
    assert ("genotype_offsets" in ro) == (grid[2]["loss"] + margin < min(r["loss"] for r in grid[:2]))
    Path(f"{out}.readout.json").write_text(json.dumps({**ro, "temperature": 1.3, "ar_gain": 1.7,
                                                       "genotype_offsets": np.zeros((3, 45)).tolist()}))
    _run_script(
        "sample_cohort.py",
        input=_NS(**models, readout=f"{out}.readout.json"),
        output=_NS(bed=f"{out}.bed", bim=f"{out}.bim", fam=f"{out}.fam", pheno=f"{out}.pheno.tsv"),
        params=_NS(n=None, case_fraction=None, mode="augmented", seed=2, device="auto", sampling=sampling),
        log=[str(tmp_path / "sample.log")])
    G = io.read_genotypes(out)
    assert G.shape == (200, 45)
    assert io.read_fam(out)["PHENO"].to_list().count("2") == 100
    log = (tmp_path / "sample.log").read_text()
    assert "synthetic cohort" in log and "R1" not in log
    assert "read-out temperature 1.3 / lag gain 1.7 with per-SNP genotype offsets" in log  # the model's readout.json

    base = tmp_path / "base"
    _run_script(
        "sample_baseline.py",
        input=_NS(train=str(files / "train.bed")),
        output=_NS(bed=f"{base}.bed", bim=f"{base}.bim", fam=f"{base}.fam", pheno=f"{base}.pheno.tsv"),
        params=_NS(n=500, case_fraction=None, seed=2), log=[str(tmp_path / "base.log")])
    fam = io.read_fam(base)
    y_train = io.read_fam(files / "train")["PHENO"].to_list()
    frac = y_train.count("2") / (y_train.count("2") + y_train.count("1"))
    assert fam.height == 500 and fam["PHENO"].to_list().count("2") == round(500 * frac)
    assert io.read_bim(base)["ID"].to_list() == io.read_bim(files / "train")["ID"].to_list()

    leaky = tmp_path / "leaky"  # the leaky calibration reference: copies of training, 1 % of genotypes redrawn
    _run_script(
        "sample_leaky.py",
        input=_NS(train=str(files / "train.bed")),
        output=_NS(bed=f"{leaky}.bed", bim=f"{leaky}.bim", fam=f"{leaky}.fam", pheno=f"{leaky}.pheno.tsv"),
        params=_NS(n=150, share=0.01, seed=2), log=[str(tmp_path / "leaky.log")])
    Gl, Gt = io.read_genotypes(leaky), io.read_genotypes(files / "train")
    assert Gl.shape == (150, Gt.shape[1])
    agree = max(float(np.mean(Gl[0] == Gt[j])) for j in range(Gt.shape[0]))  # a near-copy of one training record
    assert agree > 0.95 and "never for release" in (tmp_path / "leaky.log").read_text()


def test_training_scripts_run(files, tmp_path):
    _run_script(
        "train_vae.py",
        input=_NS(train=str(files / "train.bed"), val=str(files / "val.bed")),
        output=_NS(ckpt=str(tmp_path / "vae.pt"), history=str(tmp_path / "h.tsv"), curve=str(tmp_path / "c.png")),
        params=_NS(vae={**TINY_VAE, "epochs": 1}, clusters={"ancestry_clusters": 0}, seed=1, config_hash="x", device="cpu"),
        log=[str(tmp_path / "vae.log")])
    _run_script(
        "train_diffusion.py",
        input=_NS(vae=str(tmp_path / "vae.pt"), train=str(files / "train.bed")),
        output=_NS(ckpt=str(tmp_path / "d.pt"), history=str(tmp_path / "dh.tsv"), curve=str(tmp_path / "dc.png")),
        params=_NS(diffusion={**TINY_DIFF, "epochs": 1}, seed=1, config_hash="x", device="cpu"),
        log=[str(tmp_path / "diff.log")])
    assert "epoch   1" in (tmp_path / "vae.log").read_text()
    assert "epoch   1" in (tmp_path / "diff.log").read_text()


def test_sample_rejects_mismatched_variants(files, tmp_path):
    from snpgen.sample import sample_cohort_files

    bim = io.read_bim(files / "train").with_columns(pl.col("ID").reverse())
    fam = io.read_fam(files / "train")
    io.write_bed(tmp_path / "other", io.read_genotypes(files / "train"), fam, bim)
    with pytest.raises(ValueError, match="variant"):
        sample_cohort_files(str(files / "vae.pt"), str(files / "diffusion.pt"), str(tmp_path / "other.bim"),
                            str(files / "train.bed"), str(tmp_path / "s.bed"), str(tmp_path / "s.tsv"), n=5)
    ro = {"temperature": 1.0, "ar_gain": 1.0, "genotype_offsets": np.zeros((3, 44)).tolist()}
    with pytest.raises(ValueError, match=r"genotype_offsets has shape \(3, 44\), expected \(3, 45\)"):
        sample_cohort_files(str(files / "vae.pt"), str(files / "diffusion.pt"), str(files / "train.bim"),
                            str(files / "train.bed"), str(tmp_path / "s.bed"), str(tmp_path / "s.tsv"), n=5,
                            readout=ro)
    from snpgen.models.train import load_checkpoint

    k = max(1, int((load_checkpoint(files / "diffusion.pt").get("clusters") or {}).get("n", 0)))
    ro["genotype_offsets"] = np.zeros((k + 1, 3, 45)).tolist()  # per-cluster offsets for another cluster count
    with pytest.raises(ValueError, match=rf"expected \(3, 45\) or \({k}, 3, 45\) .* {k} ancestry cluster"):
        sample_cohort_files(str(files / "vae.pt"), str(files / "diffusion.pt"), str(files / "train.bim"),
                            str(files / "train.bed"), str(tmp_path / "s.bed"), str(tmp_path / "s.tsv"), n=5,
                            readout=ro)
    assert not (tmp_path / "s.bed").exists()
    ro["genotype_offsets"] = np.zeros((k, 3, 45)).tolist()  # the model's own cluster count is taken
    sample_cohort_files(str(files / "vae.pt"), str(files / "diffusion.pt"), str(files / "train.bim"),
                        str(files / "train.bed"), str(tmp_path / "s.bed"), str(tmp_path / "s.tsv"), n=5, readout=ro)
    assert (tmp_path / "s.bed").exists()


def test_inbreeding_f_and_hwe_agree_with_plink2(tmp_path):
    """The read-out calibration's F and HWE statistics (numpy) against plink2 --het / --hardy on
    the same fileset: F equal to plink's per person; a cohort with doubled heterozygotes has
    negative F and fails HWE where the binomial one does not."""
    from snpgen.stats import hwe_exact_p
    from snpgen.structure import het_from_genotypes

    rng = np.random.default_rng(5)
    G = rng.binomial(2, rng.uniform(0.2, 0.8, 60), size=(400, 60)).astype(np.int8)
    G[rng.random(G.shape) < 0.5] = 1  # far too many heterozygotes
    F, hp = het_from_genotypes(G), hwe_exact_p(G)
    assert F.mean() < -0.3 and np.mean(hp < 1e-6) > 0.5
    ok = rng.binomial(2, 0.4, size=(400, 60)).astype(np.int8)
    assert abs(het_from_genotypes(ok).mean()) < 0.02 and np.mean(hwe_exact_p(ok) < 1e-6) == 0
    if not shutil.which("plink2"):
        return
    y = np.zeros(400, np.int8)
    _write_real(tmp_path / "g", G, y)
    proc = subprocess.run(["plink2", "--bfile", str(tmp_path / "g"), "--het", "--hardy", "--out", str(tmp_path / "g")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    het = pl.read_csv(tmp_path / "g.het", separator="\t")
    assert np.allclose(het["F"].to_numpy(), F, atol=1e-3)
    hardy = pl.read_csv(tmp_path / "g.hardy", separator="\t")
    assert np.array_equal(hardy["P"].to_numpy() < 1e-6, hp < 1e-6)
    # the exact test is plink2's: the same p-values, on this cohort and on a near-HWE one
    exact = hwe_exact_p(G)
    assert np.allclose(np.log10(hardy["P"].to_numpy()), np.log10(exact), atol=0.01), (hardy["P"][:5], exact[:5])
    near = rng.binomial(2, rng.uniform(0.02, 0.5, 60), size=(300, 60)).astype(np.int8)
    _write_real(tmp_path / "h", near, np.zeros(300, np.int8))
    subprocess.run(["plink2", "--bfile", str(tmp_path / "h"), "--hardy", "--out", str(tmp_path / "h")],
                   capture_output=True, check=True)
    p_plink = pl.read_csv(tmp_path / "h.hardy", separator="\t")["P"].to_numpy()
    assert np.allclose(p_plink, hwe_exact_p(near), rtol=1e-3, atol=1e-9)


def test_readout_calibration_finds_the_setting_of_its_target(files):
    """Self-consistency: when the 'real' people are the model's own read-out at temperature 1.3,
    the calibration's choice among 0.7 / 1.0 / 1.3 is 1.3; the grid has every pair, and the
    chosen pair has the smallest loss."""
    from snpgen.calibration import calibrate_readout
    from snpgen.models.train import load_checkpoint
    from snpgen.sample import SAMPLING_DEFAULTS

    vae, diff = load_checkpoint(files / "vae.pt"), load_checkpoint(files / "diffusion.pt")
    s = {**SAMPLING_DEFAULTS, "sampler": "ddim", "steps": 5}
    kw = {k: s[k] for k in ("guidance_scale", "sampler", "steps", "batch_size", "clip_x0", "eta")}
    target, _ = generate(vae, diff, 600, 0.3, seed=11, device="cpu", temperature=1.3, ar_gain=1.0, **kw)
    chrom = np.array(["1"] * target.shape[1])
    cal = calibrate_readout(vae, diff, target, chrom, 0.3, s, temperatures=[0.7, 1.0, 1.3], ar_gains=[1.0, 1.2],
                            n=600, seed=2, ld_window=15, device="cpu")
    assert len(cal["grid"]) == 6 and cal["n"] == 600
    assert cal["temperature"] == 1.3, cal["grid"]
    assert min(r["loss"] for r in cal["grid"]) == next(r["loss"] for r in cal["grid"]
                                                         if (r["temperature"], r["ar_gain"]) == (1.3, cal["ar_gain"]))


def test_genotype_offsets_give_the_target_genotype_frequencies(files):
    """The per-SNP offsets take the read-out to the target's genotype frequencies, also in fresh
    draws: the target is the model's own read-out with every heterozygote logit lowered by 1
    (a heterozygote deficit, as pooled ancestries give), which plain read-outs miss by far."""
    from snpgen.models.train import load_checkpoint
    from snpgen.readout import drawn_freqs, genotype_freqs, genotype_offsets, make_labels, readout_batches, readout_calls

    vae, diff = load_checkpoint(files / "vae.pt"), load_checkpoint(files / "diffusion.pt")
    kw = {"sampler": "ddim", "steps": 5, "device": "cpu"}
    y = make_labels(800, 0.3, 4)
    deficit = np.zeros((3, vae["n_snps"]), np.float32)
    deficit[1] = -1.0
    target = genotype_freqs(np.concatenate([readout_calls(lg, u, w, offsets=deficit)
                                            for w, lg, u, _ in readout_batches(vae, diff, y, seed=21, **kw)]))
    batches = list(readout_batches(vae, diff, y, seed=5, **kw))
    b, G = genotype_offsets(batches, target, iterations=4)
    fresh, _ = generate(vae, diff, 800, 0.3, seed=9, genotype_offsets=b, **kw)
    plain, _ = generate(vae, diff, 800, 0.3, seed=9, **kw)
    gap = lambda G: float(np.abs(genotype_freqs(G) - target)[1].mean())  # noqa: E731
    assert gap(plain) > 0.08
    assert gap(G) < 0.03 and gap(fresh) < 0.03  # the calls: the target up to the draw's noise
    assert float(np.abs(drawn_freqs(batches, b[None], 1)[1][0] - target)[1].mean()) < 0.01  # the probabilities
    assert np.all(b[0] == 0) and b[1].mean() < -0.5  # the heterozygote logit goes down
    # shrinkage: a real deficit is kept; offsets towards a target that is only another sample of the
    # same model (its differences are sampling noise) shrink towards 0
    assert genotype_offsets(batches, target, n_target=800)[0][1].mean() < -0.5
    same = genotype_freqs(np.concatenate([readout_calls(lg2, u2, w2) for w2, lg2, u2, _ in
                                          readout_batches(vae, diff, y, seed=33, **kw)]))
    raw = np.abs(genotype_offsets(batches, same)[0][1:]).mean()
    assert np.abs(genotype_offsets(batches, same, n_target=800)[0][1:]).mean() < 0.5 * raw
    # in the calibration: fitted on other synthetic people than those scored, returned for the winner
    from snpgen.calibration import calibrate_readout
    from snpgen.sample import SAMPLING_DEFAULTS

    real = fresh  # people with the deficit
    s = {**SAMPLING_DEFAULTS, "sampler": "ddim", "steps": 5}
    cal = calibrate_readout(vae, diff, real, np.array(["1"] * real.shape[1]), 0.3, s, temperatures=[1.0],
                            ar_gains=[1.0, 1.2], n=400, seed=2, ld_window=15, device="cpu", frequency_offsets=True)
    assert [r["offsets"] for r in cal["grid"]] == [False, False, True, True]
    off = np.asarray(cal["genotype_offsets"])  # the offsets rows win: only they have the deficit
    assert off.shape == (3, vae["n_snps"]) and off[1].mean() < -0.5
    assert max(abs(r["mean_f"] - cal["real"]["mean_f"]) for r in cal["grid"][2:]) < 0.03
    assert min(abs(r["mean_f"] - cal["real"]["mean_f"]) for r in cal["grid"][:2]) > 0.05


def test_offset_margin_is_the_hwe_share_noise():
    """Offsets must win by a calibration draw's HWE-share noise: about 1 loss unit at the demo's
    pooled-ancestry share (0.134 of 1,024 SNPs), next to nothing on a homogeneous cohort (share 0),
    more on a deeper admixture; it grows with the share and falls with the number of SNPs."""
    from snpgen.calibration import offset_margin

    assert 1.0 < offset_margin(0.134, 1024) < 1.3
    assert offset_margin(0.0, 1024) < 0.02
    assert offset_margin(0.0, 1024) < offset_margin(0.05, 1024) < offset_margin(0.2, 1024)
    assert offset_margin(0.134, 2048) < offset_margin(0.134, 1024)


def test_genotype_offsets_fit_the_drawn_probabilities_not_the_draws_noise():
    """The offsets are fitted on the mean probability each call was drawn from, not on the counts of
    the calls: without lags one step recovers the exact offsets (log target - log model) up to the
    pseudo-counts, where counts of 5,000 calls per SNP leave an error of up to ~0.1 in the rarer
    genotypes' offsets."""
    from snpgen.readout import drawn_freqs, genotype_offsets

    rng = np.random.default_rng(5)
    n, L = 5000, 50
    model = rng.dirichlet([4, 3, 2], L).T  # (3, L) the read-out's own genotype frequencies
    target = rng.dirichlet([4, 3, 2], L).T
    logits = np.broadcast_to(np.log(model)[None], (n, 3, L)).astype(np.float32)
    batches = [(None, logits, rng.random((n, L), dtype=np.float32), np.zeros(n, np.int64))]
    b, _ = genotype_offsets(batches, target, iterations=1)
    exact = np.log(target) - np.log(model)
    assert np.abs((b - b[0:1]) - (exact - exact[0:1])).max() < 0.02
    _, freqs = drawn_freqs(batches, b[None], 1)
    assert np.abs(freqs[0] - target).max() < 1e-2  # up to the pseudo-counts


def test_genotype_offsets_per_ancestry_cluster():
    """Two clusters in HWE at allele frequencies 0.2 and 0.8: pooled, their genotype frequencies
    show a large heterozygote deficit (Wahlund). Offsets aimed at the pooled frequencies reproduce
    only the pooled ones (each cluster then has the pooled frequencies, far from its own); offsets
    per cluster give every cluster its own, and with them the pooled ones too."""
    from snpgen.readout import genotype_freqs, genotype_offsets, readout_calls

    rng = np.random.default_rng(3)
    n, L = 2000, 40
    cl = np.repeat([0, 1], n // 2)
    perm = rng.permutation(n)
    cl = cl[perm]
    batches = [(None, np.zeros((1000, 3, L), np.float32), rng.random((1000, L), dtype=np.float32), cl[s:s + 1000])
               for s in (0, 1000)]
    own = np.stack([np.repeat(np.array([[0.64], [0.32], [0.04]]), L, 1),
                    np.repeat(np.array([[0.04], [0.32], [0.64]]), L, 1)])
    pooled_target = own.mean(0)
    b_pooled, G_pooled = genotype_offsets(batches, pooled_target, iterations=4)
    b_cl, G_cl = genotype_offsets(batches, own, iterations=4)
    assert b_pooled.shape == (3, L) and b_cl.shape == (2, 3, L)

    def gap(G, c):
        return float(np.abs(genotype_freqs(G[cl == c]) - own[c]).mean())

    assert np.abs(genotype_freqs(G_pooled) - pooled_target).mean() < 0.02
    assert gap(G_pooled, 0) > 0.15 and gap(G_pooled, 1) > 0.15
    assert gap(G_cl, 0) < 0.03 and gap(G_cl, 1) < 0.03
    assert np.abs(genotype_freqs(G_cl) - pooled_target).mean() < 0.02
    # fresh calls with the per-cluster offsets need each person's cluster
    fresh = readout_calls(np.zeros((1000, 3, L), np.float32), rng.random((1000, L), dtype=np.float32), None,
                          offsets=b_cl, cluster=cl[:1000])
    assert np.abs(genotype_freqs(fresh[cl[:1000] == 1]) - own[1]).mean() < 0.03
    with pytest.raises(ValueError, match="need each person's cluster"):
        readout_calls(np.zeros((5, 3, L), np.float32), np.zeros((5, L), np.float32), None, offsets=b_cl)


def test_offset_targets_per_cluster_only_with_the_models_clusters_of_these_people():
    from snpgen.calibration import offset_targets

    G = np.array([[0, 1], [0, 2], [2, -1], [2, 2]], dtype=np.int8)
    clusters = {"n": 2, "train": torch.as_tensor([0, 0, 1, 1])}
    t, n = offset_targets(G, clusters, shrinkage="offsets")
    assert t.shape == (2, 3, 2) and n.tolist() == [[2, 2], [2, 1]]
    assert t[0, 0, 0] > 0.7 and t[1, 2, 0] > 0.7  # SNP 1: cluster 0 all 0, cluster 1 all 2 (+ pseudo-counts)
    for other in ({"n": 0}, None, {"n": 2, "train": torch.as_tensor([0, 1])}):  # none, or not these people
        t, n = offset_targets(G, other, shrinkage="offsets")
        assert t.shape == (3, 2) and n.tolist() == [4, 3]
    assert offset_targets(G, clusters, by_cluster=False)[0].shape == (3, 2)
    # the default takes the noise out of the frequencies themselves: no counts for the offsets
    t, n = offset_targets(G, clusters)
    assert t.shape == (2, 3, 2) and n is None and np.allclose(t.sum(axis=1), 1)
    assert offset_targets(G, clusters, shrinkage="none")[1] is None
    with pytest.raises(ValueError, match="genotype_offset_shrinkage"):
        offset_targets(G, clusters, shrinkage="posterior")


def test_shrunk_genotype_freqs_take_out_the_sampling_noise_and_keep_the_spread():
    """Three clusters drawn from populations with known allele frequencies (Balding-Nichols, Fst
    0.02 around a pooled frequency) and known F (0 in two, 0.05 in the third), of 60, 200 and 600
    people: the shrunk frequencies keep the populations' spread between clusters instead of adding
    the counts' noise to it, and keep
    each cluster's F without the per-SNP noise of a few dozen genotypes. (Not a smaller error per
    SNP: the variance-preserving weight gives up a little of that to keep the spread.)"""
    from snpgen.readout import genotype_freqs, shrunk_genotype_freqs

    rng = np.random.default_rng(3)
    L, fst, sizes, F = 3000, 0.02, (60, 200, 600), (0.0, 0.0, 0.05)
    pbar = rng.uniform(0.1, 0.9, L)
    p = np.stack([rng.beta(pbar * (1 - fst) / fst, (1 - pbar) * (1 - fst) / fst) for _ in sizes])
    p = np.clip(p, 0.02, 0.98)
    G, cl = [], []
    for c, (n, f) in enumerate(zip(sizes, F)):
        q = np.stack([(1 - p[c]) ** 2 + f * p[c] * (1 - p[c]), 2 * p[c] * (1 - p[c]) * (1 - f),
                      p[c] ** 2 + f * p[c] * (1 - p[c])])
        u = rng.random((n, L))
        G.append(((u > q[0]).astype(np.int8) + (u > q[0] + q[1])).astype(np.int8))
        cl += [c] * n
    G, cl = np.concatenate(G), np.array(cl)
    raw = np.stack([genotype_freqs(G[cl == c]) for c in range(3)])
    shrunk = shrunk_genotype_freqs(G, cl, 3)
    allele = lambda q: q[:, 1] / 2 + q[:, 2]  # noqa: E731
    assert np.allclose(shrunk.sum(axis=1), 1) and shrunk.min() > 0
    w = np.array(sizes)[:, None] / sum(sizes)
    spread = lambda a: np.mean(w * (a - (w * a).sum(axis=0)) ** 2, axis=1)  # noqa: E731  (per cluster)
    assert np.all(spread(allele(raw)) > 1.03 * spread(p))  # the counts add their noise to the spread
    assert np.all(np.abs(spread(allele(shrunk)) / spread(p) - 1) < 0.03), spread(allele(shrunk)) / spread(p)
    f_of = lambda q: 1 - q[:, 1] / (2 * allele(q) * (1 - allele(q)))  # noqa: E731
    for c, f in enumerate(F):
        assert abs(np.median(f_of(shrunk)[c]) - f) < 0.01
        assert np.std(f_of(shrunk)[c]) < 0.3 * np.std(f_of(raw)[c])


def test_calibration_structure_term_scores_lost_clusters():
    """The calibration's structure term: two populations (allele frequencies 0.2 / 0.8 apart on a
    third of the SNPs) sit apart on PC1. Held-out people of the same populations are close on it;
    people with the same SNP frequencies but no populations (each column shuffled across people)
    sit between them, far on PC1. The loss, equal otherwise, then ranks the shuffled read-out worse."""
    from snpgen.calibration import pc_distances, readout_loss
    from snpgen.structure import fit_pca, project

    rng = np.random.default_rng(7)

    def cohort(n):
        pop = rng.integers(0, 2, n)
        p = np.full((2, 90), 0.3)
        p[0, :30], p[1, :30] = 0.2, 0.8
        return rng.binomial(2, p[pop]).astype(np.int8)

    real, held_out = cohort(1000), cohort(1000)
    shuffled = np.stack([rng.permutation(col) for col in cohort(1000).T], axis=1)
    pca = fit_pca(real, 2)
    structure = (pca, project(real, pca))
    near, far = pc_distances(held_out, *structure), pc_distances(shuffled, *structure)
    assert near[0] < 0.1 and far[0] > 0.5, (near, far)
    stats = {"mean_f": 0.0, "ld_mean_r2": 0.03, "hwe_share": 0.0}
    assert readout_loss({**stats, "pc_distance": far}, stats) > readout_loss({**stats, "pc_distance": near}, stats) + 20
    assert readout_loss(stats, stats) == 0.0
    # HWE: held to the real people's bootstrap-resampled share where higher (a faithful generator's level)
    real = {**stats, "hwe_share": 0.10, "hwe_share_resampled": 0.12}
    assert readout_loss({**stats, "hwe_share": 0.12}, real) == 0.0
    assert readout_loss({**stats, "hwe_share": 0.13}, real) == pytest.approx(1.0)
    assert readout_loss({**stats, "hwe_share": 0.12}, {**real, "hwe_share_resampled": 0.09}) == pytest.approx(4.0)

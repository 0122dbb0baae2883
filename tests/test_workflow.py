"""End-to-end: the real snakemake on the tiny test config, outputs checked by content."""
from __future__ import annotations

import json
import re
from pathlib import Path

import polars as pl
import pytest

from conftest import ROOT, TEST_CONFIG, run_snakemake
from snpgen import io
from snpgen.gwas import read_glm
from snpgen.paths import GWAS_GLM

pytestmark = pytest.mark.e2e
DISEASES = ["cad", "t2d"]


def _ids(path: Path) -> set[tuple[str, str]]:
    return {tuple(line.split()[:2]) for line in path.read_text().splitlines() if line.strip()}


def test_qc_summary_counts_come_from_the_data(workflow_run):
    s = json.loads((workflow_run / "qc" / "qc_summary.json").read_text())
    steps = {st["step"]: st for st in s["steps"]}
    planted = json.loads((workflow_run / "cohort" / "truth.json").read_text())["planted_artefacts"]
    # the planted artefacts are what each step removes (at least)
    assert steps["variant_call_rate"]["variants_removed"] >= planted["bad_snps"]
    assert steps["sample_call_rate"]["individuals_removed"] >= planted["bad_samples"]
    assert steps["hwe"]["variants_removed"] >= planted["hwe_snps"] * 0.9
    assert steps["relatedness"]["individuals_removed"] >= planted["duplicates"] + planted["relative_pairs"]
    fam = io.read_fam(workflow_run / "qc" / "cohort")
    assert s["output"]["individuals"] == fam.height
    assert len(s["pca"]["eigenvalues"]) == 5


@pytest.mark.parametrize("disease", DISEASES)
def test_splits_disjoint_and_no_leakage_into_gwas_or_selection(workflow_run, disease):
    split = workflow_run / disease / "split"
    train, val, test = (_ids(split / f"{s}.ids") for s in ("train", "val", "test"))
    assert train and val and test
    assert not (train & val) and not (train & test) and not (val & test)
    # GWAS saw the training split only: plink2's observation count per variant is <= |train|
    glm = pl.read_csv(workflow_run / disease / "gwas" / GWAS_GLM, separator="\t",
                      null_values=["NA"])
    assert glm["OBS_CT"].max() <= len(train)
    assert glm["OBS_CT"].max() >= 0.95 * len(train)
    log = (workflow_run / disease / "gwas" / "gwas.log").read_text()
    m = re.search(r"(\d+) cases and (\d+) controls remaining after main filters", log)
    assert m and int(m.group(1)) + int(m.group(2)) == len(train)
    assert re.search(rf"--keep: {len(train)} samples remaining", log)
    # the selected training fileset holds exactly the training individuals; val/test likewise
    for name, ids in (("train", train), ("val", val), ("test", test)):
        fam = io.read_fam(workflow_run / disease / "selection" / name)
        assert set(zip(fam["FID"], fam["IID"])) == ids


@pytest.mark.parametrize("disease", DISEASES)
def test_selection_content(workflow_run, disease):
    sel = workflow_run / disease / "selection"
    snps = (sel / "snps.txt").read_text().split()
    assert len(snps) == 128 and len(set(snps)) == 128
    bim = io.read_bim(sel / "train")
    assert bim["ID"].to_list() == snps
    qc_bim = io.read_bim(workflow_run / "qc" / "cohort")
    order = {s: i for i, s in enumerate(qc_bim["ID"].to_list())}
    assert [order[s] for s in snps] == sorted(order[s] for s in snps), "not in genomic order"
    # selected SNPs are the strongest of the training GWAS (clumping only removes, never adds)
    glm = read_glm(workflow_run / disease / "gwas" / GWAS_GLM)
    p_sel = glm.filter(pl.col("ID").is_in(snps))["P"]
    assert p_sel.median() < glm["P"].median() / 20
    summary = json.loads((sel / "selection_summary.json").read_text())
    recall = summary["causal_recall"]
    # at the test cohort's power the strongest causal SNPs are found, directly or via LD
    assert recall["recall_selected_or_tagged"] >= 0.3, recall
    g = io.read_genotypes(sel / "train")
    assert g.shape == (io.read_fam(sel / "train").height, 128)
    assert set(io.read_fam(sel / "train")["PHENO"].unique().to_list()) == {"1", "2"}


def test_summaries_are_aggregate_only(workflow_run):
    ids = {line.split()[1] for line in (workflow_run / "cohort" / "cohort.fam").read_text().splitlines()}
    shareable = [workflow_run / "qc" / "qc_summary.json"]
    for d in DISEASES:
        shareable += [workflow_run / d / "split" / "split_summary.json",
                      workflow_run / d / "gwas" / "gwas_summary.json",
                      workflow_run / d / "selection" / "selection_summary.json"]
    shareable += list((workflow_run / "logs").rglob("*.log"))
    for path in shareable:
        text = path.read_text()
        leaked = [i for i in ids if i in text]
        assert not leaked, f"{path} contains real IDs"


def test_selection_is_deterministic(workflow_run, tmp_path):
    """Same config and seed: byte-identical selection outputs."""
    again = tmp_path / "results"
    run_snakemake(again, *(f"{again}/{d}/selection/selection_summary.json" for d in DISEASES))
    for d in DISEASES:
        for name in ("snps.txt", "train.bed", "train.bim", "train.fam", "test.fam"):
            a = (workflow_run / d / "selection" / name).read_bytes()
            b = (again / d / "selection" / name).read_bytes()
            assert a == b, f"{d}/selection/{name} differs between two runs with the same seed"


def test_changing_sampling_settings_reuses_the_trained_models(workflow_run, tmp_path):
    """A new guidance scale and synthetic size re-sample and re-evaluate, but must not rerun QC, GWAS,
    selection or training (the models' rerun trigger is the hash of the settings they depend on)."""
    import yaml

    cfg = yaml.safe_load(TEST_CONFIG.read_text())
    cfg.setdefault("sampling", {})["guidance_scale"] = 2.5
    diseases = yaml.safe_load((ROOT / cfg["diseases_file"]).read_text())
    diseases["cad"]["synthetic_n"] = int(diseases["cad"]["synthetic_n"]) + 10
    (tmp_path / "diseases.yaml").write_text(yaml.safe_dump(diseases))
    cfg["diseases_file"] = str(tmp_path / "diseases.yaml")
    overlay = tmp_path / "config.yaml"
    overlay.write_text(yaml.safe_dump(cfg))  # keys sorted: a reorder alone must change nothing
    out = run_snakemake(workflow_run, "-n", configfile=overlay)
    text = out.stdout + out.stderr
    assert re.search(r"^sample_cohort\s+\d+", text, flags=re.M), text[-3000:]
    upstream = r"^(validate_inputs|qc|gwas|select_snps|train_vae|train_diffusion)\s+\d+"
    assert not re.search(upstream, text, flags=re.M), text[-3000:]


@pytest.mark.parametrize("disease", DISEASES)
def test_synthetic_cohorts_are_real_plink_filesets(workflow_run, disease, tmp_path):
    import subprocess

    cols = ["CHR", "ID", "POS", "A1", "A2"]
    sel_bim = io.read_bim(workflow_run / disease / "selection" / "train").select(cols)
    for gen in ("matched", "augmented", "baseline", "leaky"):
        prefix = workflow_run / disease / "synthetic" / gen
        assert io.read_bim(prefix).select(cols).equals(sel_bim), "same variants, alleles and order as the selection"
        fam = io.read_fam(prefix)
        assert fam.height == 400 and all(i.startswith("SYN") for i in fam["IID"])
        g = io.read_genotypes(prefix)
        assert g.shape == (400, 128) and set(map(int, set(g.ravel()))) <= {0, 1, 2}
        proc = subprocess.run(["plink2", "--bfile", prefix, "--freq", "--out", tmp_path / gen],
                              capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout
        cases = (fam["PHENO"] == "2").mean()
        if gen == "augmented":
            assert cases == 0.5
        elif gen == "leaky":  # copies of training records, with their own labels
            continue
        elif disease == "t2d":  # synthetic_case_fraction: 0.3 in the test diseases file
            assert abs(cases - 0.3) < 0.01


@pytest.mark.parametrize("disease", DISEASES)
def test_metrics_and_report_exist_for_every_generator(workflow_run, disease):
    for gen in ("matched", "augmented", "baseline"):
        m = json.loads((workflow_run / disease / "metrics" / f"{gen}.json").read_text())
        assert m["verdict"]["decision"] in {"release", "do not release"}
        assert 0 <= m["utility"]["logreg"]["tstr"]["auc"] <= 1
        st = m["fidelity"]["structure"]  # population structure (issue 17): leading PCs and clusters
        assert st["n_pcs"] == 4 == len(st["pc_distance_synthetic"]) == len(st["pc_distance_holdout"])
        assert st["clusters"]["n_clusters"] >= 1 and set(st["clusters"]) >= {"overall", "case", "control"}
        assert st["clusters"]["overall"]["max_abs_diff_synthetic"] is not None
        names = [c["name"] for c in m["verdict"]["checks"]]
        assert [f"structure_pc{j}_distance" for j in range(1, 5)] + ["cluster_proportion_diff"] == names[-5:]
        vb = m["utility"]["logreg"].get("vs_baseline")  # the model's cohorts, paired with the baseline's
        assert (vb is None) == (gen == "baseline")
        if vb:
            b = json.loads((workflow_run / disease / "metrics" / "baseline.json").read_text())["utility"]["logreg"]
            assert vb["auc"] == pytest.approx(b["tstr"]["auc"])  # the same classifier, test split and resamples
            assert vb["delta_ci_low"] <= vb["delta"] <= vb["delta_ci_high"]
        ef = m["fidelity"]["effects"]  # issue 23: effects against held-out real people and the simulated truth
        assert 0 < ef["vs_holdout"]["real_train"]["n_snps"] <= 128 and ef["vs_holdout"]["synthetic"] is not None
        assert set(ef["recovery"]) == {"5e-08", "bonferroni"} and ef["recovery"]["5e-08"]["synthetic"] is not None
        assert all(set(ef["vs_truth"][c]) == {"all", "causal"} for c in ("real_train", "holdout", "synthetic"))
        assert "effects_truth.png" in m["figures"]
        a = m["privacy"]["attacks"]  # stronger attacks (issue 21): the maximum and its TPR in the verdict
        chk = next(c for c in m["verdict"]["checks"] if c["name"] == "max_attack_auc")
        assert chk["max_auc"] == pytest.approx(a["max_auc"]) and "tpr_at_1pct_fpr" in chk
        assert chk["value"] <= a["max_auc"] and set(chk["attacks"]) == {k for k, v in a.items()
                                                                          if isinstance(v, dict) and "auc" in v}
    # the leaky calibration reference: privacy only, fails the attack checks
    lk = json.loads((workflow_run / disease / "metrics" / "leaky.json").read_text())
    assert "utility" not in lk and "fidelity" not in lk and lk["verdict"]["decision"] == "do not release"
    assert "max_attack_auc" in lk["verdict"]["failed_checks"] and lk["privacy"]["attacks"]["max_auc"] > 0.8
    # the population-statistics reference beside each privacy loss (session 13): the copies lose far more
    ref = lk["privacy"]["population_reference"]
    assert 0.3 <= ref["sharpen"] <= 1.0
    assert ref["target_aa_truth"] == lk["privacy"]["nnaa"]["train_reference"]["aa_truth"]
    assert lk["privacy"]["nnaa"]["privacy_loss"] > ref["privacy_loss"]
    assert "auc" in json.dumps(json.loads((workflow_run / disease / "metrics" / "prs.json").read_text()))
    html = (workflow_run / "reports" / f"{disease}.html").read_text()
    assert 'id="verdict"' in html and 'id="provenance"' in html and "TSTR &minus; baseline TSTR" in html
    assert 'id="attacks"' in html and "calibration reference, never for release" in html
    assert 'id="effects-table"' in html and "r with true effects" in html
    assert json.loads((workflow_run / "reports" / "leak_scan.json").read_text())["files_scanned"]

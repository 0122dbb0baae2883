"""The QC chain (snpgen.qc, issue 23): per-filter counts from keep lists, one fileset written.

A small random cohort with planted artefacts (simulate.plant_artefacts) goes through run_qc; the
plink2 calls are recorded. The QC'd fileset must be the input's genotypes of exactly the people and
variants the summary says are left. (On the tiny test cohort, before/after the switch from one
--make-bed per filter to keep lists, every QC output was byte-identical: see the commit message.)
"""
from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

from snpgen import io, plink, qc, simulate

N, M = 400, 3000
ARTEFACTS = {"missing_rate": 0.002, "bad_samples": 6, "bad_sample_missing": 0.1, "bad_snps": 20,
             "bad_snp_missing": 0.15, "hwe_snps": 10, "duplicates": 3, "relatives": 4}


@pytest.fixture(scope="module")
def qc_run(tmp_path_factory, plink2_available):
    root = tmp_path_factory.mktemp("qc")
    rng = np.random.default_rng(3)
    G = rng.binomial(2, rng.uniform(0.05, 0.5, M), size=(N, M)).astype(np.int8)
    G, planted = simulate.plant_artefacts(G, ARTEFACTS, rng)
    ids = [f"P{i:04d}" for i in range(N)]
    fam = pl.DataFrame({"FID": ids, "IID": ids, "SEX": rng.integers(1, 3, N), "PHENO": ["-9"] * N})
    bim = pl.DataFrame({"CHR": ["1"] * (M // 2) + ["23"] * 50 + ["2"] * (M - M // 2 - 50),
                        "ID": [f"rs{j}" for j in range(M)], "CM": [0.0] * M,
                        "POS": [1000 * (j + 1) for j in range(M)], "A1": ["A"] * M, "A2": ["G"] * M})
    io.write_bed(root / "in", G, fam, bim)
    phen = pl.DataFrame({"FID": ids, "IID": ids, "age": rng.normal(50, 5, N)})
    calls = []
    real = plink.plink2

    def recording(args, out, **kw):
        calls.append([str(a) for a in args])
        return real(args, out, **kw)

    mp = pytest.MonkeyPatch()
    mp.setattr(qc.plink, "plink2", recording)
    try:
        summary = qc.run_qc(root / "in", phen, ["age"], {"geno": 0.05, "mind": 0.05, "maf": 0.01, "hwe": 1e-6,
                                                         "king_cutoff": 0.177, "king_maf": 0.01, "king_prune_r2": 0.5, "prune_window": 200, "prune_step": 50,
                                                         "prune_r2": 0.2, "n_pcs": 3},
                            root / "out", root / "pcs.eigenvec", root / "cov.tsv", root / "qc_summary.json")
    finally:
        mp.undo()
    return root, G, planted, summary, calls


def test_one_fileset_is_written_and_every_filter_only_writes_lists(qc_run):
    root, _, _, summary, calls = qc_run
    assert sum("--make-bed" in c for c in calls) == 1
    listing = [c for c in calls if "--write-snplist" in c]
    assert len(listing) == len(summary["steps"]) == 6
    assert all("--write-samples" in c for c in listing)
    assert not (root / "work").exists(), "the scratch folder is removed"


def test_counts_chain_and_match_the_planted_artefacts(qc_run):
    root, _, planted, summary, _ = qc_run
    assert json.loads((root / "qc_summary.json").read_text()) == json.loads(json.dumps(summary))
    n, m = N, M
    for st in summary["steps"]:
        assert st["individuals_left"] == n - st["individuals_removed"]
        assert st["variants_left"] == m - st["variants_removed"]
        n, m = st["individuals_left"], st["variants_left"]
    assert summary["output"] == {"individuals": n, "variants": m}
    steps = {st["step"]: st for st in summary["steps"]}
    assert steps["autosomal_snps"]["variants_removed"] == 50
    assert steps["variant_call_rate"]["variants_removed"] >= planted["bad_snps"]
    assert steps["sample_call_rate"]["individuals_removed"] >= planted["bad_samples"]
    assert steps["hwe"]["variants_removed"] >= planted["hwe_snps"] - 3  # a few sit on chr 23 or fail --geno
    assert steps["relatedness"]["individuals_removed"] >= planted["duplicates"] + planted["relative_pairs"] - 1


def test_qc_fileset_holds_the_input_genotypes_of_who_and_what_is_left(qc_run):
    root, G, _, summary, _ = qc_run
    fam, bim = io.read_fam(root / "out"), io.read_bim(root / "out")
    assert (fam.height, bim.height) == (summary["output"]["individuals"], summary["output"]["variants"])
    rows = np.array([int(i[1:]) for i in fam["IID"].to_list()])
    cols = np.array([int(v[2:]) for v in bim["ID"].to_list()])
    assert np.all(np.diff(rows) > 0) and np.all(np.diff(cols) > 0), "input order kept"
    got = io.read_genotypes(root / "out")
    np.testing.assert_array_equal(got, G[np.ix_(rows, cols)])


def test_king_on_pruned_snps_prunes_first_and_still_finds_the_relatives(qc_run, tmp_path):
    root, _, planted, _, _ = qc_run
    calls = []
    real = plink.plink2
    mp = pytest.MonkeyPatch()
    mp.setattr(qc.plink, "plink2", lambda args, out, **kw: (calls.append([str(a) for a in args]), real(args, out, **kw))[1])
    try:
        summary = qc.run_qc(root / "in", pl.DataFrame({"FID": [], "IID": []}, schema={"FID": pl.Utf8, "IID": pl.Utf8}),
                            [], {"geno": 0.05, "mind": 0.05, "maf": 0.01, "hwe": 1e-6, "king_cutoff": 0.177,
                                 "king_maf": 0.01, "king_prune_r2": 0.01, "prune_window": 50, "prune_step": 5, "prune_r2": 0.01,
                                 "n_pcs": 3},
                            tmp_path / "out", tmp_path / "pcs", tmp_path / "cov.tsv", tmp_path / "s.json")
    finally:
        mp.undo()
    king = next(c for c in calls if "--king-cutoff" in c)
    assert king[king.index("--extract") + 1].endswith("king_snps.prune.in")
    assert calls.index(king) == 1 + next(i for i, c in enumerate(calls) if "--indep-pairwise" in c)
    rel = summary["steps"][-1]
    assert rel["step"] == "relatedness" and "LD-pruned" in rel["filter"]
    assert rel["individuals_removed"] >= planted["duplicates"] + planted["relative_pairs"] - 1

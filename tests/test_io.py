from __future__ import annotations

import subprocess

import numpy as np
import polars as pl
import pytest

from snpgen import io


def tiny(n=7, m=5, seed=0):
    rng = np.random.default_rng(seed)
    G = rng.integers(0, 3, size=(n, m)).astype(np.int8)
    G[0, 0] = -1
    fam = pl.DataFrame({"FID": [f"F{i}" for i in range(n)], "IID": [f"I{i}" for i in range(n)],
                        "SEX": [1] * n, "PHENO": ["2"] * 3 + ["1"] * (n - 3)})
    bim = pl.DataFrame({"CHR": ["1"] * m, "ID": [f"rs{j}" for j in range(m)], "CM": [0.0] * m,
                        "POS": [100 * (j + 1) for j in range(m)], "A1": ["A"] * m, "A2": ["G"] * m})
    return G, fam, bim


def test_bed_round_trip_counts_a1(tmp_path, plink2_available):
    G, fam, bim = tiny()
    io.write_bed(tmp_path / "x", G, fam, bim)
    assert np.array_equal(io.read_genotypes(tmp_path / "x"), G)
    assert io.read_bim(tmp_path / "x")["ID"].to_list() == bim["ID"].to_list()
    # plink2 agrees on the allele counted: A1 frequency from --freq (ALT = A1 for a .bed)
    subprocess.run(["plink2", "--bfile", tmp_path / "x", "--freq", "--out", tmp_path / "f"], check=True,
                   capture_output=True)
    freq = pl.read_csv(tmp_path / "f.afreq", separator="\t")
    ours = np.array([G[G[:, j] >= 0, j].mean() / 2 for j in range(G.shape[1])])
    assert freq["ALT"].to_list() == ["A"] * 5
    np.testing.assert_allclose(freq["ALT_FREQS"].to_numpy(), ours, atol=1e-4)


def test_atomic_prefix_leaves_nothing_on_error(tmp_path):
    with pytest.raises(RuntimeError):
        with io.atomic_prefix(tmp_path / "out", [".bed", ".bim"]) as tmp:
            (tmp.parent / "out.bed").write_text("partial")
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_wrong_column_count_names_file_and_line(tmp_path):
    (tmp_path / "x.fam").write_text("a a 0 0 1 -9\nb b 0 0 1\n")
    with pytest.raises(ValueError, match=r"x\.fam: line 2 has 5 columns"):
        io.read_fam(tmp_path / "x")


def test_blockwise_read_matches_subsets(tmp_path):
    """Reading in variant blocks (any block size, any sample/variant subset) gives the same matrix."""
    G, fam, bim = tiny(n=9, m=11, seed=3)
    G[4, 7] = -1
    io.write_bed(tmp_path / "x", G, fam, bim)
    rows, cols = np.array([8, 0, 4, 5]), np.array([10, 7, 0, 3, 2])
    for block in (1, 3, 512):
        assert np.array_equal(io.read_genotypes(tmp_path / "x", block=block), G)
        assert np.array_equal(io.read_genotypes(tmp_path / "x", rows, cols, block=block), G[np.ix_(rows, cols)])


def test_concat_beds_is_the_variant_wise_concatenation(tmp_path):
    from snpgen import io

    rng = np.random.default_rng(0)
    G = rng.integers(-1, 3, size=(7, 11)).astype(np.int8)
    fam = pl.DataFrame({"FID": [f"F{i}" for i in range(7)], "IID": [f"I{i}" for i in range(7)]})
    bim = pl.DataFrame({"CHR": ["1"] * 5 + ["2"] * 6, "ID": [f"v{j}" for j in range(11)], "CM": [0.0] * 11,
                        "POS": list(range(1, 12)), "A1": ["A"] * 11, "A2": ["C"] * 11})
    io.write_bed(tmp_path / "whole", G, fam, bim)
    io.write_bed(tmp_path / "a", G[:, :5], fam, bim[:5])
    io.write_bed(tmp_path / "b", G[:, 5:], fam, bim[5:])
    io.concat_beds([tmp_path / "a", tmp_path / "b"], tmp_path / "cat")
    for suffix in (".bed", ".bim", ".fam"):
        assert (tmp_path / f"cat{suffix}").read_bytes() == (tmp_path / f"whole{suffix}").read_bytes()
    assert not list(tmp_path.glob("a.*")) and not list(tmp_path.glob("b.*")), "the parts are removed"
    io.write_bed(tmp_path / "c", G[:6, :5], fam[:6], bim[:5])
    io.write_bed(tmp_path / "d", G[:, 5:], fam, bim[5:])
    with pytest.raises(ValueError, match="same people"):
        io.concat_beds([tmp_path / "c", tmp_path / "d"], tmp_path / "bad")

"""GWAS-guided selection of the top K SNPs per disease (LD-aware), kept in genomic order."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import polars as pl

from . import io, plink


def clump(bfile: str | Path, keep: str | Path, glm: pl.DataFrame, r2: float, kb: int,
          work_prefix: str | Path, threads: int = 1, p1: float = 1.0) -> pl.DataFrame:
    """LD clumping with plink1.9 --clump on the training split (Debian's plink2 build has no --clump).

    Returns the index SNPs with p <= p1 (ID, P, and the SNPs each one tags; p2 = 1).
    """
    assoc = Path(f"{work_prefix}.assoc")
    glm.filter(pl.col("P").is_not_null()).select(pl.col("ID").alias("SNP"), "P").write_csv(assoc, separator="\t")
    plink.plink19(["--bfile", bfile, "--keep", keep, "--clump", assoc, "--clump-p1", f"{p1:.6g}", "--clump-p2", 1,
                   "--clump-r2", r2, "--clump-kb", kb, "--allow-no-sex"], work_prefix, threads=threads)
    rows = []
    clumped = Path(f"{work_prefix}.clumped")
    with open(clumped) as fh:
        header = fh.readline().split()
        i_snp, i_p, i_sp2 = header.index("SNP"), header.index("P"), header.index("SP2")
        for line in fh:
            parts = line.split()
            if not parts:
                continue
            tagged = [] if parts[i_sp2] == "NONE" else [s.rsplit("(", 1)[0] for s in parts[i_sp2].split(",")]
            rows.append((parts[i_snp], float(parts[i_p]), tagged))
    return pl.DataFrame(rows, schema={"ID": pl.Utf8, "P": pl.Float64, "TAGGED": pl.List(pl.Utf8)}, orient="row")


def top_k(candidates: pl.DataFrame, bim: pl.DataFrame, k: int, disease: str) -> pl.DataFrame:
    """The K candidates with the smallest p (ties by genomic order), returned in genomic order."""
    order = bim.select("ID").with_row_index("ORDER")
    cand = candidates.join(order, on="ID", how="inner")
    if cand.height < k:
        raise ValueError(
            f"disease '{disease}': n_snps = {k} but only {cand.height} candidate SNPs remain after QC and "
            f"clumping (lower n_snps in the diseases file, or raise selection.clump_r2)"
        )
    return cand.sort(["P", "ORDER"]).head(k).sort("ORDER")


def causal_recall(selected: pl.DataFrame, truth: dict, disease: str) -> dict | None:
    """Share of the simulated causal SNPs selected, or tagged by a selected index SNP (demo only)."""
    if disease not in truth.get("diseases", {}):
        return None
    causal = {c["id"] for c in truth["diseases"][disease]["causal"]}
    sel = set(selected["ID"].to_list())
    tagged = set(sel)
    if "TAGGED" in selected.columns:
        for t in selected["TAGGED"].to_list():
            tagged.update(t or [])
    return {
        "n_causal": len(causal),
        "causal_selected": len(causal & sel),
        "recall_selected": len(causal & sel) / len(causal) if causal else None,
        "causal_selected_or_tagged": len(causal & tagged),
        "recall_selected_or_tagged": len(causal & tagged) / len(causal) if causal else None,
    }


def selection_summary(selected: pl.DataFrame, bim: pl.DataFrame, method: str, n_candidates: int,
                      truth: dict | None, disease: str) -> dict:
    sel = bim.join(selected.select("ID", "P"), on="ID", how="inner")
    per_chrom = sel.group_by("CHR").agg(pl.len().alias("n"), pl.col("POS").min().alias("first_bp"),
                                        pl.col("POS").max().alias("last_bp")).sort("CHR")
    pos = sel["POS"].to_numpy()
    same_chr = sel["CHR"].to_numpy()[1:] == sel["CHR"].to_numpy()[:-1]
    gaps = np.diff(pos)[same_chr] if len(pos) > 1 else np.array([])
    p = sel["P"].to_numpy()
    out = {
        "method": method,
        "n_selected": int(sel.height),
        "n_candidates": int(n_candidates),
        "per_chromosome": per_chrom.to_dicts(),
        "median_gap_bp": float(np.median(gaps)) if len(gaps) else None,
        "p_min": float(p.min()), "p_max": float(p.max()),
        "n_genome_wide_significant": int((p < 5e-8).sum()),
    }
    if truth is not None:
        out["causal_recall"] = causal_recall(selected, truth, disease)
    return out


def extract_splits(bfile: str | Path, snps: Path, pheno: str | Path, keeps: dict[str, Path],
                   out_dir: Path, threads: int = 1) -> None:
    """Write one PLINK fileset per split with the selected SNPs; .fam PHENO 2 = case, 1 = control."""
    for name, keep in keeps.items():
        with io.atomic_prefix(out_dir / name, [".bed", ".bim", ".fam"]) as tmp:
            plink.plink2(["--bfile", bfile, "--keep", keep, "--extract", snps, "--pheno", pheno,
                          "--pheno-name", "PHENO", "--make-bed"], tmp, threads=threads)


def run_selection(bfile: str | Path, glm_path: str | Path, keeps: dict[str, Path], pheno: str | Path,
                  k: int, method: str, clump_r2: float, clump_kb: int, out_dir: str | Path,
                  truth_path: str | Path | None, disease: str, threads: int = 1) -> dict:
    out_dir = Path(out_dir)
    work = out_dir / "work"
    work.mkdir(parents=True, exist_ok=True)
    try:
        return _select(bfile, glm_path, keeps, pheno, k, method, clump_r2, clump_kb, out_dir, work,
                       truth_path, disease, threads)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _select(bfile, glm_path, keeps, pheno, k, method, clump_r2, clump_kb, out_dir, work, truth_path,
            disease, threads) -> dict:
    from .gwas import read_glm

    glm = read_glm(glm_path)
    bim = io.read_bim(bfile)
    if method == "clump":
        # Clumping is greedy in p-value order, so the top K index SNPs only depend on the SNPs
        # below the p-value of the 4K-th SNP: restrict index candidates to those (much faster),
        # and fall back to every SNP when that leaves fewer than K index SNPs.
        p_sorted = np.sort(glm["P"].drop_nulls().to_numpy())
        p1 = float(p_sorted[min(4 * k, len(p_sorted)) - 1]) if len(p_sorted) else 1.0
        candidates = clump(bfile, keeps["train"], glm, clump_r2, clump_kb, work / "clump", threads, p1)
        if candidates.height < k and p1 < 1.0:
            candidates = clump(bfile, keeps["train"], glm, clump_r2, clump_kb, work / "clump", threads, 1.0)
    else:
        candidates = glm.filter(pl.col("P").is_not_null()).select("ID", "P")
    selected = top_k(candidates, bim, k, disease)
    snps = out_dir / "snps.txt"
    io.atomic_write_text(snps, "".join(f"{s}\n" for s in selected["ID"].to_list()))
    extract_splits(bfile, snps, pheno, keeps, out_dir, threads=threads)
    truth = json.loads(Path(truth_path).read_text()) if truth_path else None
    return selection_summary(selected, bim, method, candidates.height, truth, disease)

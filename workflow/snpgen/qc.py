"""Quality control with plink2: call rates, MAF, HWE, relatedness (KING), ancestry PCs.

Each filter runs as its own plink2 call on the input fileset, restricted (--keep / --extract) to
what the previous filters left, and writes only the lists of what it keeps (--write-samples,
--write-snplist): the QC summary says how many individuals or variants each step removed without
a fileset copy per step, and one final --make-bed writes the QC'd fileset. The summary holds
aggregate counts only.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import polars as pl

from . import io, plink
from .defaults import schema_defaults


def _count_lines(path: Path) -> int:
    with open(path) as fh:
        return sum(1 for line in fh if line.strip())


def _counts(prefix: Path) -> tuple[int, int]:
    return _count_lines(Path(f"{prefix}.fam")), _count_lines(Path(f"{prefix}.bim"))


PCA_EXACT_MAX = 5000  # people above which the ancestry PCs come from plink2 --pca approx

# Why a QC step may remove a large share, and the config key(s) to look at (QC warnings).
STEP_ADVICE = {
    "autosomal_snps": ("the input holds many non-autosomal, indel, multi-allelic or non-A/C/G/T variants "
                       "(usual for imputed or sequenced data); this filter is fixed", "the input (cohort.*)"),
    "variant_call_rate": ("low variant call rates: arrays or batches merged with non-overlapping SNPs, "
                          "or a failed batch", "qc.geno"),
    "sample_call_rate": ("low individual call rates: a failed plate or batch, or samples from another array",
                         "qc.mind"),
    "maf": ("many rare variants (sequenced or imputed data, or a small cohort)", "qc.maf"),
    "hwe": ("the exact test on pooled ancestries flags allele-frequency differences between populations "
            "(Wahlund effect) rather than genotyping errors", "qc.hwe / qc.hwe_mode"),
    "relatedness": ("a multi-ancestry or admixed cohort (kinship estimates are inflated across population "
                    "structure), too few SNPs for precise KING estimates, or a family-based design",
                    "qc.king_cutoff"),
}


def qc_warnings(steps: list[dict], max_fraction: float) -> list[dict]:
    """One warning per step and unit (individuals, variants) where the step removed more than
    ``max_fraction`` of what it received. Aggregate counts only; the report suppresses small ones."""
    warnings = []
    for st in steps:
        for unit in ("individuals", "variants"):
            removed = st[f"{unit}_removed"]
            before = removed + st[f"{unit}_left"]
            if before <= 0 or removed / before <= max_fraction:
                continue
            cause, key = STEP_ADVICE.get(st["step"], ("", "the qc.* thresholds"))
            frac = removed / before
            warnings.append({
                "step": st["step"], "filter": st["filter"], "unit": unit, "removed": removed, "before": before,
                "fraction": round(frac, 4), "threshold": max_fraction, "likely_cause": cause, "config_key": key,
                "message": (f"QC step '{st['step']}' ({st['filter']}) removed {removed} of {before} {unit} "
                            f"({100 * frac:.1f} %, more than qc.warn_removed_fraction = {max_fraction}). "
                            f"Likely cause: {cause}. Check {key}."),
            })
    return warnings


def read_eigenvec(path: str | Path, fam: pl.DataFrame) -> pl.DataFrame:
    """Read plink2's .eigenvec (header '#FID IID PC1..' or '#IID PC1..' when FIDs were omitted)."""
    df = pl.read_csv(path, separator="\t", infer_schema_length=0)
    first = df.columns[0]
    df = df.rename({first: first.lstrip("#")})
    if "FID" not in df.columns:
        df = df.join(fam.select("FID", "IID"), on="IID", how="left")
    pcs = [c for c in df.columns if c.startswith("PC")]
    return df.select("FID", "IID", *[pl.col(c).cast(pl.Float64) for c in pcs])


def king_snp_set(run, restrict: list, qc: dict, work: Path) -> tuple[Path, int, str]:
    """The SNPs KING estimates kinship on: of those ``restrict`` (``--keep`` / ``--extract`` flags)
    leaves, MAF >= qc.king_maf, LD-pruned at r2 qc.king_prune_r2 (in the PCA's qc.prune_window /
    prune_step) unless that is null. ``run(flags, out)`` runs plink2 on the input fileset. Returns
    their list file, count and a description."""
    out, r2 = work / "king_snps", qc["king_prune_r2"]
    if r2 is not None:
        flags, listed = ["--indep-pairwise", qc["prune_window"], qc["prune_step"], r2], Path(f"{out}.prune.in")
    else:
        flags, listed = ["--write-snplist"], Path(f"{out}.snplist")
    run([*restrict, "--maf", qc["king_maf"], *flags], out)
    n = _count_lines(listed)
    what = f"LD-pruned (r2 {r2}) SNPs" if r2 is not None else "SNPs"
    return listed, n, f"{n} {what} with MAF >= {qc['king_maf']}"


def run_qc(bfile: str | Path, phenotypes: pl.DataFrame, covariates: list[str], qc: dict,
           out_prefix: str | Path, eigenvec_path: str | Path, covar_path: str | Path,
           summary_path: str | Path, threads: int = 1, memory_mb: int | None = None,
           n_snps: dict[str, int] | None = None) -> dict:
    """Run the QC chain; write the QC'd fileset, PCs, covariate table and summary. Returns the summary.

    Intermediate files (keep lists, KING, pruning, PCA) live in a scratch folder that is removed
    whether QC succeeds or not. ``qc`` (config["qc"]) may leave keys out: those take the schema's
    defaults.
    """
    qc = {**schema_defaults("qc"), **qc}
    work = Path(out_prefix).parent / "work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        return _run_qc(bfile, phenotypes, covariates, qc, Path(out_prefix), eigenvec_path, covar_path,
                       summary_path, threads, memory_mb, n_snps or {}, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _filter_steps(bfile: Path, qc: dict, work: Path, run) -> tuple[list[dict], Path, dict]:
    """The QC filters, in order; returns (one count record per step, the prefix of the last step's
    .id / .snplist lists, the KING SNP set's summary). ``run(flags, out)`` runs plink2 on
    ``bfile`` with ``flags``."""
    steps = []
    n0, m0 = _counts(bfile)
    cur = {"individuals": n0, "variants": m0, "lists": []}

    def step(name: str, flags: list, description: str, keep: Path | None = None) -> None:
        """Apply one filter to what is left (people: ``keep`` or the previous step's list)."""
        dst = work / name
        if cur["lists"]:
            flags = ["--keep", keep or cur["lists"][0], "--extract", cur["lists"][1], *flags]
        run([*flags, "--write-samples", "--write-snplist"], dst)
        n_after, m_after = _count_lines(Path(f"{dst}.id")) - 1, _count_lines(Path(f"{dst}.snplist"))
        steps.append({"step": name, "filter": description,
                      "individuals_removed": cur["individuals"] - n_after,
                      "variants_removed": cur["variants"] - m_after,
                      "individuals_left": n_after, "variants_left": m_after})
        cur.update(individuals=n_after, variants=m_after, lists=[Path(f"{dst}.id"), Path(f"{dst}.snplist")])

    step("autosomal_snps", ["--autosome", "--snps-only", "just-acgt"], "autosomal biallelic A/C/G/T SNPs")
    step("variant_call_rate", ["--geno", qc["geno"]], f"variant missing-call rate > {qc['geno']}")
    step("sample_call_rate", ["--mind", qc["mind"]], f"individual missing-call rate > {qc['mind']}")
    step("maf", ["--maf", qc["maf"]], f"minor allele frequency < {qc['maf']}")
    fewhet = qc["hwe_mode"] == "keep-fewhet"
    step("hwe", ["--hwe", qc["hwe"], *(["keep-fewhet"] if fewhet else [])],
         f"HWE exact test p < {qc['hwe']}" + (" (excess heterozygosity only)" if fewhet else ""))
    people, variants = cur["lists"]
    king_snps, n_king, king_what = king_snp_set(run, ["--keep", people, "--extract", variants], qc, work)
    run(["--keep", people, "--extract", king_snps, "--king-cutoff", qc["king_cutoff"]], work / "king")
    king = {"snps": n_king, "maf": qc["king_maf"], "prune_r2": qc["king_prune_r2"]}
    step("relatedness", [], f"one of each pair with KING kinship > {qc['king_cutoff']} (on {king_what})",
         keep=work / "king.king.cutoff.in.id")
    return steps, work / "relatedness", king


def _run_qc(bfile, phenotypes, covariates, qc, out_prefix: Path, eigenvec_path, covar_path, summary_path,
            threads, memory_mb, n_snps: dict[str, int], work: Path) -> dict:
    n0, m0 = _counts(Path(bfile))

    def run(flags: list, out: Path) -> None:
        plink.plink2(["--bfile", bfile, *flags], out, threads=threads, memory_mb=memory_mb)

    steps, last, king = _filter_steps(Path(bfile), qc, work, run)
    summary = {"input": {"individuals": n0, "variants": m0}, "steps": steps, "king": king}
    cur = work / "cohort"
    run(["--keep", f"{last}.id", "--extract", f"{last}.snplist", "--make-bed"], cur)

    summary["warnings"] = qc_warnings(steps, qc["warn_removed_fraction"])
    n_final, m_final = _counts(cur)
    if n_final < 50 or m_final < 100:
        raise ValueError(f"QC left {n_final} individuals and {m_final} variants: too few to go on "
                         f"(check the qc.* thresholds in the config)"
                         + "".join(f"\n  warning: {w['message']}" for w in summary["warnings"]))
    for disease, k in n_snps.items():
        if k > m_final:
            raise ValueError(f"diseases file: {disease}.n_snps = {k} is larger than the {m_final} variants "
                             f"left after QC (lower n_snps or relax the qc.* thresholds)")
    plink.plink2(["--bfile", cur, "--indep-pairwise", qc["prune_window"], qc["prune_step"], qc["prune_r2"]],
                 work / "prune", threads=threads, memory_mb=memory_mb)
    n_pruned = _count_lines(work / "prune.prune.in")
    n_pcs = min(qc["n_pcs"], n_final - 1, n_pruned - 1)
    # exact PCA holds a people x people matrix (50k: 20 GB); plink2's randomized "approx" above 5,000
    approx = ["approx"] if n_final > PCA_EXACT_MAX else []
    plink.plink2(["--bfile", cur, "--extract", work / "prune.prune.in", "--pca", n_pcs, *approx],
                 work / "pca", threads=threads, memory_mb=memory_mb)
    eigenval = [float(x) for x in (work / "pca.eigenval").read_text().split()]
    summary["pca"] = {"pruned_snps": n_pruned, "n_pcs": n_pcs, "eigenvalues": eigenval}
    summary["output"] = {"individuals": n_final, "variants": m_final}

    fam = io.read_fam(cur)
    pcs = read_eigenvec(work / "pca.eigenvec", fam)
    covar = fam.select("FID", "IID").join(phenotypes.select("FID", "IID", *covariates), on=["FID", "IID"], how="left")
    # a covariate with fewer than two known values among the QC'd people (sex from a .fam or VCF
    # with sex unknown for everyone, a batch everyone shares) would stop plink2 --glm: left out
    dropped = [c for c in covariates if covar[c].drop_nulls().n_unique() < 2]
    covar = covar.drop(dropped)
    covariates = [c for c in covariates if c not in dropped]
    covar = covar.join(pcs, on=["FID", "IID"], how="left")
    missing_cov = {c: int(covar[c].is_null().sum()) for c in covariates}
    summary["covariates_missing"] = missing_cov
    summary["covariates"] = covariates
    summary["covariates_dropped"] = dropped

    with io.atomic_prefix(out_prefix, [".bed", ".bim", ".fam"]) as tmp:
        for suffix in (".bed", ".bim", ".fam"):  # moved, not copied: the one fileset QC writes
            Path(f"{cur}{suffix}").replace(f"{tmp}{suffix}")
    shutil.copyfile(work / "pca.eigenvec", f"{eigenvec_path}.tmp")
    Path(f"{eigenvec_path}.tmp").replace(eigenvec_path)
    io.write_tsv(covar_path, covar)
    io.write_json(summary_path, summary)
    return summary


def pc_columns(n: int) -> list[str]:
    return [f"PC{i}" for i in range(1, n + 1)]


def lambda_gc(z: np.ndarray) -> float:
    """Genomic inflation from Wald Z statistics: median(chi2) / median of chi2(1)."""
    z = np.asarray(z, dtype=float)
    z = z[np.isfinite(z)]
    return float(np.median(z**2) / 0.454936423119572) if len(z) else float("nan")

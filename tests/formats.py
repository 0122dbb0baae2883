"""A PLINK 1 test cohort exported by plink2 as a genomics core may deliver it: a PLINK 2 fileset,
one bgzipped VCF per chromosome, one BCF, a BGEN 1.2 file with its .sample file (or one per
chromosome with one .sample file), or one PLINK 1 fileset per chromosome (shared by the bad-input cases and the round-trip tests). Each export
returns the cohort.* config keys that point at it."""
from __future__ import annotations

import subprocess
from pathlib import Path

# bcf: one BCF; bgen_chroms: one BGEN per chromosome and one .sample (UK Biobank); bfile: one PLINK 1
# fileset per chromosome
FORMATS = ("pfile", "vcf", "bcf", "bgen", "bgen_chroms", "bfile")


def _plink2(*args) -> None:
    subprocess.run(["plink2", *map(str, args)], check=True, capture_output=True)


def export(bfile: str | Path, fmt: str, out_dir: str | Path) -> dict:
    """plink2 writes ``bfile`` as ``fmt`` under ``out_dir``; returns the config keys (cohort.*)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if fmt == "pfile":
        _plink2("--bfile", bfile, "--make-pgen", "--out", out / "cohort")
        return {"pfile": str(out / "cohort")}
    chroms = sorted({line.split()[0] for line in Path(f"{bfile}.bim").read_text().splitlines()}, key=int)
    if fmt == "vcf":  # one file per chromosome; sample ID = IID (read back with vcf_sample_ids: double-id)
        for c in chroms:
            _plink2("--bfile", bfile, "--chr", c, "--export", "vcf", "bgz", "id-paste=iid", "--out", out / f"chr{c}")
        return {"vcf": str(out / "chr{chrom}.vcf.gz")}
    if fmt == "bcf":  # one BCF file for the whole genome, given as cohort.vcf
        _plink2("--bfile", bfile, "--export", "bcf", "id-paste=iid", "--out", out / "cohort")
        return {"vcf": str(out / "cohort.bcf")}
    if fmt == "bgen_chroms":  # as UK Biobank's: one BGEN per chromosome, one .sample file for all
        for c in chroms:
            _plink2("--bfile", bfile, "--chr", c, "--export", "bgen-1.2", "ref-first", "--out", out / f"c{c}")
        return {"bgen": str(out / "c{chrom}.bgen"), "bgen_sample": str(out / f"c{chroms[0]}.sample")}
    if fmt == "bfile":  # a list of per-chromosome PLINK 1 filesets
        for c in chroms:
            _plink2("--bfile", bfile, "--chr", c, "--make-bed", "--out", out / f"chr{c}")
        return {"bfile": [str(out / f"chr{c}") for c in chroms]}
    if fmt == "bgen":  # REF first, as UK Biobank's (read back with bgen_ref: ref-first)
        _plink2("--bfile", bfile, "--export", "bgen-1.2", "ref-first", "--out", out / "cohort")
        return {"bgen": str(out / "cohort.bgen")}
    raise ValueError(fmt)

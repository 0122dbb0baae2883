"""plink2 converts the configured genotypes (snpgen.sources) into the PLINK 1 fileset QC reads:
each part (one file, or one per chromosome) with the import options of the config, then the parts
merged variant-wise (plink2 --pmerge-list). Multi-allelic variants are dropped (--max-alleles 2)
and counted; variant IDs are set as cohort.set_var_ids says.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

from . import io, plink
from .sources import GenotypeSource, InputError

VCF_IDS = {"double-id": ["--double-id"], "fid-0": [], "id-delim": ["--id-delim", "_"]}
VAR_IDS = {"none": None, "missing": "--set-missing-var-ids", "all": "--set-all-var-ids"}


def read_flags(src: GenotypeSource, i: int, cohort: dict) -> list:
    """plink2's flags that load part ``i`` of the source."""
    part = src.parts[i]
    if src.format in ("bfile", "pfile"):
        return [f"--{src.format}", part]
    if src.format == "vcf":
        return ["--bcf" if part.endswith(".bcf") else "--vcf", part, *VCF_IDS[cohort["vcf_sample_ids"]]]
    return ["--bgen", part, cohort["bgen_ref"], "--sample", src.samples[i],
            "--hard-call-threshold", cohort["hard_call_threshold"]]


def import_flags(cohort: dict) -> list:
    """The flags every part is converted with: biallelic only, variant IDs as configured."""
    flags = ["--max-alleles", 2]
    mode = VAR_IDS[cohort["set_var_ids"]]
    if mode:
        flags += [mode, cohort["var_id_template"], "--new-id-max-allele-len", 100, "truncate"]
    return flags


def _dropped(log: Path) -> int:
    """Variants the load left out (multi-allelic ones, --max-alleles), from plink2's log."""
    m = re.search(r"(\d+) out of (\d+) variants loaded", log.read_text(errors="replace"))
    return int(m.group(2)) - int(m.group(1)) if m else 0


def import_genotypes(src: GenotypeSource, cohort: dict, out_prefix: str | Path, threads: int = 1,
                     memory_mb: int | None = None) -> dict:
    """Write ``out_prefix``.bed/.bim/.fam from the source; returns aggregate counts."""
    out_prefix = Path(out_prefix)
    work = out_prefix.parent / f".{out_prefix.name}.import"
    shutil.rmtree(work, ignore_errors=True)
    try:
        with io.atomic_prefix(out_prefix, [".bed", ".bim", ".fam"]) as tmp:
            dropped = _convert(src, cohort, tmp, work, threads, memory_mb)
            _check_ids(tmp, src, cohort)
        fam, bim = io.read_fam(out_prefix), io.read_bim(out_prefix)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {"format": src.format, "parts": len(src.parts), "individuals": fam.height, "variants": bim.height,
            "multiallelic_dropped": dropped}


def _convert(src, cohort, out: Path, work: Path, threads: int, memory_mb) -> int:
    run = dict(threads=threads, memory_mb=memory_mb)
    if len(src.parts) == 1:
        log = plink.plink2([*read_flags(src, 0, cohort), *import_flags(cohort), "--make-bed"], out, **run)
        return _dropped(log)
    work.mkdir(parents=True)
    dropped, prefixes = 0, []
    for i in range(len(src.parts)):
        prefix = work / f"part{i + 1}"
        log = plink.plink2([*read_flags(src, i, cohort), *import_flags(cohort), "--make-pgen"], prefix, **run)
        dropped += _dropped(log)
        prefixes.append(str(prefix))
    (work / "parts.txt").write_text("\n".join(prefixes) + "\n")
    plink.plink2(["--pmerge-list", work / "parts.txt", "pfile", "--make-bed"], work / "merged", **run)
    for suffix in (".bed", ".bim", ".fam"):
        shutil.move(f"{work / 'merged'}{suffix}", f"{out}{suffix}")
    return dropped


def _check_ids(prefix: Path, src: GenotypeSource, cohort: dict) -> None:
    ids = io.read_bim(prefix)["ID"]
    dup = ids.filter(ids.is_duplicated() & (ids != ".")).n_unique()
    if dup:
        raise InputError(f"{src.parts[0]}: {dup} variant ID(s) occur more than once after the import "
                         f"(config key {src.key}; set cohort.set_var_ids: all to name variants by "
                         f"cohort.var_id_template = {cohort['var_id_template']})")

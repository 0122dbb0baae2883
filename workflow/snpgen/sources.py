"""Which genotype files the config names: one of ``cohort.bfile``, ``cohort.pfile``, ``cohort.vcf``,
``cohort.bgen`` (the plink2 flags a genomics core knows), each possibly split per chromosome (a list,
or a path with ``{chrom}``). Resolved once, at parse time, into concrete files.

A single PLINK 1 fileset goes to QC as it is; everything else is converted (and merged) by plink2 in
the import_genotypes rule (snpgen.importer) after the header checks of snpgen.preflight.
"""
from __future__ import annotations

import glob
import os
import re
from dataclasses import dataclass

FORMATS = ("bfile", "pfile", "vcf", "bgen")
MEMBERS = {"bfile": (".bed", ".bim", ".fam"), "pfile": (".pgen", ".pvar", ".psam")}
CHROM_ORDER = {str(i): i for i in range(1, 23)} | {"X": 23, "Y": 24, "XY": 25, "MT": 26, "M": 26}


class InputError(ValueError):
    """Bad input; the message names the file and the column/line/key."""


@dataclass(frozen=True)
class GenotypeSource:
    """``parts``: fileset prefixes (bfile, pfile) or files (vcf, bgen), one per chromosome or one;
    ``samples``: each BGEN part's .sample file (one file shared by all parts, as UK Biobank's)."""
    format: str
    parts: tuple[str, ...]
    samples: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        """Plain data for a rule's params (Snakemake compares params by their text)."""
        return {"format": self.format, "parts": list(self.parts), "samples": list(self.samples)}

    @classmethod
    def from_dict(cls, d: dict) -> "GenotypeSource":
        return cls(d["format"], tuple(d["parts"]), tuple(d.get("samples", ())))

    @property
    def key(self) -> str:
        return f"cohort.{self.format}"

    @property
    def needs_import(self) -> bool:
        return not (self.format == "bfile" and len(self.parts) == 1)


def _chrom_rank(chrom: str) -> tuple:
    c = re.sub(r"^chr", "", chrom, flags=re.I).upper()
    return (CHROM_ORDER.get(c, 100), c)


def expand_chrom(pattern: str, key: str, suffix: str = "") -> list[str]:
    """The paths matching a ``{chrom}`` pattern, in chromosome order (1..22, X, Y, MT, then others).
    ``suffix``: a fileset member to look for (a pattern of prefixes)."""
    head, tail = pattern.split("{chrom}", 1)
    found = glob.glob(glob.escape(head) + "*" + glob.escape(tail + suffix))
    rx = re.compile(re.escape(head) + r"(.+?)" + re.escape(tail + suffix) + "$")
    chroms = sorted({m.group(1) for f in found if (m := rx.match(f))}, key=_chrom_rank)
    if not chroms:
        raise InputError(f"{pattern}: no file matches the {{chrom}} pattern{' (' + suffix + ')' if suffix else ''} "
                         f"(config key {key})")
    return [f"{head}{c}{tail}" for c in chroms]


def genotype_source(cohort: dict) -> GenotypeSource | None:
    """The configured genotype source; None for the demo (no genotype key set)."""
    given = [f for f in FORMATS if cohort.get(f)]
    if not given:
        return None
    if len(given) > 1:
        raise InputError(f"config keys {' and '.join('cohort.' + f for f in given)} are all set: set exactly one "
                         f"genotype input")
    fmt = given[0]
    value = cohort[fmt]
    key = f"cohort.{fmt}"
    if isinstance(value, str) and "{chrom}" in value:
        parts = expand_chrom(value, key, MEMBERS.get(fmt, ("",))[0])
    else:
        parts = [value] if isinstance(value, str) else list(value)
    if not parts:
        raise InputError(f"config key {key} is an empty list")
    samples = ()
    if fmt == "bgen":  # cohort.bgen_sample for every part, or each part's own .sample
        shared = cohort.get("bgen_sample")
        samples = tuple(shared or re.sub(r"\.bgen$", "", str(p)) + ".sample" for p in parts)
    return GenotypeSource(fmt, tuple(str(p) for p in parts), samples)


def source_files(src: GenotypeSource) -> list[str]:
    """Every file of the source (the rules' inputs)."""
    if src.format in MEMBERS:
        return [f"{p}{s}" for p in src.parts for s in MEMBERS[src.format]]
    return [*src.parts, *dict.fromkeys(src.samples)]


def check_present(src: GenotypeSource) -> None:
    """Refuse a missing file, naming it and the key that points at it."""
    for f in source_files(src):
        if not os.path.exists(f):
            if f in src.samples:
                bgen = src.parts[src.samples.index(f)]
                raise InputError(f"{f}: the sample file of the BGEN {bgen} is missing (config key "
                                 f"cohort.bgen_sample; plink2 needs the .sample file for the sample IDs)")
            what = f"member of the {'PLINK 1' if src.format == 'bfile' else 'PLINK 2'} fileset " \
                if src.format in MEMBERS else "file"
            raise InputError(f"{f}: missing {what}(config key {src.key})")

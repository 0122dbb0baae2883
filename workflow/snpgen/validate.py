"""Input checks run before any heavy work. Every message names the file and the column,
line or config key; messages about a sample give its line number, never its ID."""
from __future__ import annotations

import os
from pathlib import Path

import polars as pl

from . import io, preflight
from .phenotypes import MISSING, check_categorical, load_phenotypes
from .report import suppress_small
from .sources import GenotypeSource, InputError, check_present
from .split import disease_status

BED_MAGIC = bytes([0x6C, 0x1B, 0x01])
ACGT = {"A", "C", "G", "T"}


def _dup_lines(values: list[str]) -> list[int]:
    seen, dups = set(), []
    for i, v in enumerate(values):
        if v in seen:
            dups.append(i + 1)
        seen.add(v)
    return dups


def _lines(ix: list[int], offset: int = 0) -> str:
    shown = ", ".join(str(i + offset) for i in ix[:5])
    return shown + (", ..." if len(ix) > 5 else "")


def check_fileset(prefix: str | Path) -> dict:
    """Check a PLINK 1 fileset; returns counts (individuals, variants, non-ACGT variants)."""
    prefix = Path(prefix)
    for suffix in (".bed", ".bim", ".fam"):
        if not Path(f"{prefix}{suffix}").exists():
            raise InputError(f"{prefix}{suffix}: missing member of the PLINK fileset {prefix} (config key cohort.bfile)")
    bed = Path(f"{prefix}.bed")
    with open(bed, "rb") as fh:
        magic = fh.read(3)
    if magic != BED_MAGIC:
        raise InputError(f"{bed}: not a PLINK 1 variant-major .bed file (first bytes {magic.hex()}, expected 6c1b01)")
    try:
        fam = io.read_fam(prefix)
        bim = io.read_bim(prefix)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    except pl.exceptions.PolarsError as exc:
        raise InputError(f"{prefix}.bim: column POS (4) or CM (3) is not numeric: {exc}") from None
    n, m = fam.height, bim.height
    expected = 3 + m * ((n + 3) // 4)
    size = os.path.getsize(bed)
    if size != expected:
        raise InputError(f"{bed}: size {size} bytes does not match {n} individuals in {prefix}.fam x {m} variants "
                         f"in {prefix}.bim (expected {expected} bytes)")
    dup = _dup_lines([f"{a}\t{b}" for a, b in zip(fam["FID"], fam["IID"])])
    if dup:
        raise InputError(f"{prefix}.fam: {len(dup)} duplicate sample ID(s) (FID+IID) at line(s) {_lines(dup)}")
    dup = _dup_lines(bim["ID"].to_list())
    if dup:
        raise InputError(f"{prefix}.bim: {len(dup)} duplicate variant ID(s) in column 2 at line(s) {_lines(dup)}")
    non_acgt = bim.filter(~pl.col("A1").is_in(list(ACGT)) | ~pl.col("A2").is_in(list(ACGT))).height
    return {"individuals": n, "variants": m, "non_acgt_variants_dropped_by_qc": non_acgt}


def check_phenotypes(path: str | Path, cohort: dict, covariates: list[str], diseases: dict,
                     fam: pl.DataFrame, min_cases: int = 1, split: dict | None = None,
                     min_count: int | None = None, genotyped: str = "the .fam of the cohort") -> dict:
    """Check the phenotype table against the config and the genotyped samples ``fam`` (FID, IID,
    SEX; ``genotyped`` names them in messages); returns aggregate counts."""
    path = Path(path)
    try:
        phen = load_phenotypes(path, cohort, fam=fam)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    categorical = set(cohort.get("categorical_covariates", []))
    for col in covariates:
        if col in categorical:
            try:
                check_categorical(phen, col, path, cohort.get("max_covariate_levels", 20))
            except ValueError as exc:
                raise InputError(str(exc)) from None
            continue
        if col not in phen.columns:
            raise InputError(f"{path}: covariate column '{col}' not found (config key cohort.covariates / "
                             f"cohort.sex_column; columns: {', '.join(phen.columns)})")
        values = phen[col].to_list()
        bad = [i for i, v in enumerate(values)
               if v is not None and v not in MISSING and not _is_number(v)]
        if bad:
            raise InputError(f"{path}: covariate column '{col}' has {len(bad)} non-numeric value(s) "
                             f"(file line(s) {_lines(bad, 2)})")
    dup = _dup_lines([f"{a}\t{b}" for a, b in zip(phen["FID"], phen["IID"])])
    if dup:
        raise InputError(f"{path}: {len(dup)} duplicate individual(s) at file line(s) {_lines(dup, 1)}")
    in_fam = phen.join(fam.select("FID", "IID"), on=["FID", "IID"], how="semi").height
    if in_fam == 0:
        raise InputError(f"{path}: none of its {phen.height} individuals is in {genotyped} "
                         f"(check cohort.fid_column / cohort.iid_column)")
    out = {"individuals": phen.height, "not_in_fam": phen.height - in_fam, "diseases": {}}
    for name, d in diseases.items():
        try:
            status = disease_status(phen, d["phenotype_column"], d["case_code"], d["control_code"],
                                    d["missing_codes"], source=str(path))
        except ValueError as exc:
            raise InputError(f"{exc} (diseases file, disease '{name}')") from None
        status = status.join(fam.select("FID", "IID"), on=["FID", "IID"], how="semi")
        cases = int(status["case"].sum())
        controls = status.height - cases
        if min(cases, controls) < min_cases:
            if split:
                need = (f"split.min_cases = {split['min_cases']} per split, which with the smallest split "
                        f"fraction {min(split['train'], split['val'], split['test'])} (keys split.train / "
                        f"split.val / split.test) needs at least {min_cases} in the whole cohort")
            else:
                need = f"the {min_cases} needed"
            raise InputError(f"{path}: disease '{name}' (column '{d['phenotype_column']}') has "
                             f"{suppress_small(min(cases, controls), min_count)} "
                             f"{'cases' if cases < controls else 'controls'} genotyped: fewer than {need}")
        out["diseases"][name] = {"with_status": status.height}
    return out


def _is_number(v: str) -> bool:
    try:
        float(v)
        return True
    except ValueError:
        return False


def _same_samples(frames: list[pl.DataFrame], src: GenotypeSource) -> pl.DataFrame:
    for part, frame in zip(src.parts[1:], frames[1:]):
        if not frame.select("FID", "IID").equals(frames[0].select("FID", "IID")):
            raise InputError(f"{part}: its samples differ from those of {src.parts[0]} (config key {src.key}: "
                             f"every per-chromosome part must hold the same samples in the same order)")
    return frames[0]


def _merged(src: GenotypeSource, checked: list[tuple[pl.DataFrame, int]]) -> tuple[pl.DataFrame, int]:
    """The samples (the same in every part) and the variants of all parts."""
    return _same_samples([c[0] for c in checked], src), sum(c[1] for c in checked)


def check_genotypes(src: GenotypeSource, cohort: dict) -> tuple[dict, pl.DataFrame, str]:
    """Header checks of the configured genotypes: (counts, samples as imported, how messages name
    them). Variants are counted where a header states them (None for VCF)."""
    check_present(src)
    counts = {"format": src.format, "parts": len(src.parts)}
    if src.format == "bfile":
        sets = [check_fileset(p) for p in src.parts]
        samples = _same_samples([io.read_fam(p) for p in src.parts], src)
        counts.update(variants=sum(c["variants"] for c in sets),
                      non_acgt_variants_dropped_by_qc=sum(c["non_acgt_variants_dropped_by_qc"] for c in sets))
        label = "the .fam of the cohort"
    elif src.format == "pfile":
        samples, counts["variants"] = _merged(src, [preflight.check_pfile(p) for p in src.parts])
        label = f"the .psam of {src.parts[0]} (config key cohort.pfile)"
    elif src.format == "vcf":
        samples = _same_samples([preflight.check_vcf(p, cohort["vcf_sample_ids"]) for p in src.parts], src)
        counts["variants"] = None
        label = (f"the samples of {src.parts[0]} (config key cohort.vcf; IDs read as cohort.vcf_sample_ids = "
                 f"{cohort['vcf_sample_ids']})")
    else:
        samples, counts["variants"] = _merged(src, [preflight.check_bgen(p, s) for p, s in zip(src.parts, src.samples)])
        label = f"the sample file {src.samples[0]} of {src.parts[0]} (config key cohort.bgen_sample)"
    dup = _dup_lines([f"{a}\t{b}" for a, b in zip(samples["FID"], samples["IID"])])
    if dup and src.format != "bfile":
        raise InputError(f"{src.parts[0]}: {len(dup)} duplicate sample ID(s) (FID+IID) at sample(s) {_lines(dup)} "
                         f"(config key {src.key})")
    counts["individuals"] = samples.height
    return counts, samples, label


def validate_inputs(source: GenotypeSource | str | Path, phenotypes: str | Path, cohort: dict,
                    covariates: list[str], diseases: dict, split: dict, min_count: int | None = None) -> dict:
    """``source``: the configured genotypes (a PLINK 1 prefix for one fileset). ``min_count``:
    evaluate.min_cell_count; counts of real people below it read "<min_count" in the messages
    (None: snpgen.report's threshold in force, by default 10)."""
    if not isinstance(source, GenotypeSource):
        source = GenotypeSource("bfile", (str(source),))
    fileset, samples, label = check_genotypes(source, cohort)
    for name, d in diseases.items():
        if fileset["variants"] is not None and d["n_snps"] > fileset["variants"]:
            raise InputError(f"diseases file: {name}.n_snps = {d['n_snps']} is larger than the "
                             f"{fileset['variants']} variants in {source.parts[0]}"
                             f"{'.bim' if source.format == 'bfile' else ''} (config key {source.key})")
    # each split needs min_cases: the whole cohort needs about min_cases / smallest fraction
    min_total = int(split["min_cases"] / min(split["train"], split["val"], split["test"]))
    phen = check_phenotypes(phenotypes, cohort, covariates, diseases, samples, min_total, split, min_count,
                            genotyped=label)
    return {"fileset": fileset, "phenotypes": phen}

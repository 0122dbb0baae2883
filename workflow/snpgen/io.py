"""Reading and writing genotypes, sample and variant tables.

Allele-count convention (stated once, used everywhere): genotype matrices are
int8 arrays of shape (individuals, variants) counting the allele in column 5
of the .bim file (PLINK's A1; plink2 writes ALT there), 0/1/2, with -1 for a
missing call. bed-reader with ``count_A1=True`` reads exactly that.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import polars as pl

FAM_COLUMNS = ["FID", "IID", "PAT", "MAT", "SEX", "PHENO"]
BIM_COLUMNS = ["CHR", "ID", "CM", "POS", "A1", "A2"]
MISSING = -1


def _read_whitespace_table(path: Path, columns: list[str], kind: str) -> pl.DataFrame:
    rows = []
    with open(path) as fh:
        for lineno, line in enumerate(fh, 1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != len(columns):
                raise ValueError(
                    f"{path}: line {lineno} has {len(parts)} columns, a {kind} file needs {len(columns)} "
                    f"({' '.join(columns)})"
                )
            rows.append(parts)
    df = pl.DataFrame(rows, schema=columns, orient="row") if rows else pl.DataFrame(schema=columns)
    return df


def read_fam(prefix: str | Path) -> pl.DataFrame:
    df = _read_whitespace_table(Path(f"{prefix}.fam"), FAM_COLUMNS, ".fam")
    return df.with_columns(pl.col("SEX").cast(pl.Int64, strict=False))


def read_bim(prefix: str | Path) -> pl.DataFrame:
    df = _read_whitespace_table(Path(f"{prefix}.bim"), BIM_COLUMNS, ".bim")
    return df.with_columns(pl.col("POS").cast(pl.Int64), pl.col("CM").cast(pl.Float64))


def read_genotypes(prefix: str | Path, sample_index: np.ndarray | None = None,
                   variant_index: np.ndarray | None = None, block: int = 512) -> np.ndarray:
    """Read a PLINK .bed into an int8 (individuals x variants) A1-count matrix, -1 = missing.

    The .bed is SNP-major, so it is read ``block`` variants at a time in SNP-major (Fortran)
    order and copied into the row-major result: 8x faster than one C-order read at 200k
    individuals (benchmarks/scaling.py) and no second full-size copy.
    """
    from bed_reader import open_bed

    prefix = Path(prefix)
    with open_bed(f"{prefix}.bed", count_A1=True, num_threads=1) as bed:
        rows = np.arange(bed.iid_count)
        rows = rows[sample_index] if sample_index is not None else rows
        cols = np.arange(bed.sid_count)
        cols = cols[variant_index] if variant_index is not None else cols
        g = np.empty((rows.size, cols.size), dtype=np.int8)
        for s in range(0, cols.size, block):
            g[:, s:s + block] = bed.read(index=(rows, cols[s:s + block]), dtype="int8", order="F")
    g[g < 0] = MISSING
    return g


@contextlib.contextmanager
def atomic_prefix(prefix: str | Path, suffixes: list[str]) -> Iterator[Path]:
    """Yield a temporary prefix; on success move ``tmp+suffix`` to ``prefix+suffix`` for each suffix.

    A multi-file output (a PLINK fileset) is either complete or absent: on error the
    temporary files are removed and nothing is moved into place.
    """
    prefix = Path(prefix)
    prefix.parent.mkdir(parents=True, exist_ok=True)
    tmpdir = Path(tempfile.mkdtemp(prefix=f".{prefix.name}.", dir=prefix.parent))
    tmp = tmpdir / prefix.name
    try:
        yield tmp
        for suf in suffixes:
            src = Path(f"{tmp}{suf}")
            if not src.exists():
                raise FileNotFoundError(f"expected output {src} was not written")
        for suf in suffixes:
            os.replace(f"{tmp}{suf}", f"{prefix}{suf}")
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


def _public_mode(path: str) -> None:
    """mkstemp creates files 0600; give them the mode a normal open() would (0666 & ~umask)."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)


def _atomic_write(path: str | Path, write: Callable[[str], None]) -> None:
    """``write(tmp)`` into a temporary file beside ``path``, then rename it over ``path``: a reader
    never sees a half-written file, and a failure leaves none behind."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        _public_mode(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    _atomic_write(path, lambda tmp: Path(tmp).write_text(text))


def write_json(path: str | Path, obj) -> None:
    atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=True, default=_json_default) + "\n")


def _json_default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"not JSON serialisable: {type(o)}")


def write_npz(path: str | Path, **arrays) -> None:
    """numpy arrays into one uncompressed .npz, atomically (np.savez on an open file adds no suffix)."""

    def write(tmp: str) -> None:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)

    _atomic_write(path, write)


def write_tsv(path: str | Path, df: pl.DataFrame) -> None:
    _atomic_write(path, lambda tmp: df.write_csv(tmp, separator="\t"))


def write_ids(path: str | Path, fid_iid: pl.DataFrame) -> None:
    """Write a plink --keep file (FID IID, no header)."""
    lines = "".join(f"{f}\t{i}\n" for f, i in fid_iid.select("FID", "IID").iter_rows())
    atomic_write_text(path, lines)


def read_ids(path: str | Path) -> pl.DataFrame:
    rows = [line.split()[:2] for line in Path(path).read_text().splitlines() if line.strip()]
    return pl.DataFrame(rows, schema=["FID", "IID"], orient="row") if rows else pl.DataFrame(schema=["FID", "IID"])


def write_bed(prefix: str | Path, genotypes: np.ndarray, fam: pl.DataFrame, bim: pl.DataFrame) -> None:
    """Write an int8 A1-count matrix (-1 missing) as a PLINK 1 fileset, atomically.

    ``fam`` needs FID, IID (SEX/PHENO optional); ``bim`` needs CHR, ID, POS, A1, A2 (CM optional).
    """
    from bed_reader import to_bed

    g = np.asarray(genotypes)
    if g.ndim != 2 or g.shape[0] != fam.height or g.shape[1] != bim.height:
        raise ValueError(f"genotype matrix {g.shape} does not match fam ({fam.height}) x bim ({bim.height})")
    val = np.asarray(g, dtype=np.int8)
    if (val < 0).any():  # bed-reader's int8 missing value is -127
        val = np.where(val < 0, np.int8(-127), val)
    props = {
        "fid": fam["FID"].cast(pl.Utf8).to_list(),
        "iid": fam["IID"].cast(pl.Utf8).to_list(),
        "father": ["0"] * fam.height,
        "mother": ["0"] * fam.height,
        "sex": (fam["SEX"].cast(pl.Int32).to_list() if "SEX" in fam.columns else [0] * fam.height),
        "pheno": (fam["PHENO"].cast(pl.Utf8).to_list() if "PHENO" in fam.columns else ["-9"] * fam.height),
        "chromosome": bim["CHR"].cast(pl.Utf8).to_list(),
        "sid": bim["ID"].cast(pl.Utf8).to_list(),
        "cm_position": (bim["CM"].cast(pl.Float64).to_list() if "CM" in bim.columns else [0.0] * bim.height),
        "bp_position": bim["POS"].cast(pl.Int64).to_list(),
        "allele_1": bim["A1"].cast(pl.Utf8).to_list(),
        "allele_2": bim["A2"].cast(pl.Utf8).to_list(),
    }
    with atomic_prefix(prefix, [".bed", ".bim", ".fam"]) as tmp:
        to_bed(f"{tmp}.bed", val, properties=props, count_A1=True, num_threads=1)


BED_MAGIC = b"\x6c\x1b\x01"  # PLINK 1 .bed, SNP-major


def concat_beds(parts: list[Path], prefix: str | Path) -> None:
    """Variant-wise concatenation of PLINK 1 filesets of the same people, in the order given (a
    SNP-major .bed is the magic number, then one block per variant: the blocks are copied as
    they are, streamed), written atomically; the parts are removed afterwards."""
    fam = Path(f"{parts[0]}.fam").read_bytes()
    for part in parts[1:]:
        if Path(f"{part}.fam").read_bytes() != fam:
            raise ValueError(f"{part}.fam differs from {parts[0]}.fam: only filesets of the same people concatenate")
    with atomic_prefix(prefix, [".bed", ".bim", ".fam"]) as tmp:
        with open(f"{tmp}.bed", "wb") as bed, open(f"{tmp}.bim", "wb") as bim:
            bed.write(BED_MAGIC)
            for part in parts:
                with open(f"{part}.bed", "rb") as fh:
                    if fh.read(3) != BED_MAGIC:
                        raise ValueError(f"{part}.bed is not a SNP-major PLINK 1 .bed")
                    shutil.copyfileobj(fh, bed, 1 << 24)
                bim.write(Path(f"{part}.bim").read_bytes())
        Path(f"{tmp}.fam").write_bytes(fam)
    for part in parts:
        for suffix in (".bed", ".bim", ".fam"):
            Path(f"{part}{suffix}").unlink()


def read_phenotypes(path: str | Path, fid_column: str | None, iid_column: str,
                    fam: pl.DataFrame | None = None, delimiter: str = "auto") -> pl.DataFrame:
    """Read the phenotype table (tab, comma or whitespace separated, header) as strings with FID/IID
    columns first; see :func:`snpgen.phenotypes.load_phenotypes` for the config-driven reader.

    When ``fid_column`` is None the FID is taken from ``fam`` by IID (or set to the IID).
    """
    from .phenotypes import load_phenotypes

    # sex_column "" (not None): leave any sex column as it is and take nothing from the .fam
    return load_phenotypes(path, {"fid_column": fid_column, "iid_column": iid_column, "sex_column": "",
                                  "phenotype_delimiter": delimiter}, fam)

"""Header checks of PLINK 2, VCF/BCF and BGEN inputs, before plink2 converts them: the file's magic,
its size against its own header (a truncated .pgen), a GT FORMAT field, the BGEN's sample file.
Each returns the samples as plink2 will import them (FID, IID, SEX; SEX 0 = unknown) and the
variant count where the header states it. Messages name the file and the config key.
"""
from __future__ import annotations

import gzip
import itertools
import os
import struct
import zlib
from pathlib import Path

import polars as pl

from .sources import InputError

PGEN_MAGIC = b"\x6c\x1b"
BGEN_MAGIC = (b"bgen", b"\x00\x00\x00\x00")
SEX = {"1": 1, "2": 2, "M": 1, "F": 2, "m": 1, "f": 2, "male": 1, "female": 2}


def samples_frame(fid: list[str], iid: list[str], sex: list | None = None) -> pl.DataFrame:
    sex = [SEX.get(str(s), 0) for s in sex] if sex is not None else [0] * len(iid)
    return pl.DataFrame({"FID": fid, "IID": iid, "SEX": sex}, schema={"FID": pl.Utf8, "IID": pl.Utf8, "SEX": pl.Int64})


# --- PLINK 2 ---------------------------------------------------------------------------------------

def read_psam(path: str | Path) -> pl.DataFrame:
    """A .psam (or a header-less .fam-like one): FID (IID when absent), IID, SEX."""
    lines = [ln.split() for ln in Path(path).read_text().splitlines() if ln.strip() and not ln.startswith("##")]
    if not lines or not lines[0][0].startswith("#"):
        raise InputError(f"{path}: no '#FID IID' or '#IID' header line (config key cohort.pfile)")
    header = [h.lstrip("#") for h in lines[0]]
    if "IID" not in header:
        raise InputError(f"{path}: the header line has no IID column (config key cohort.pfile)")
    rows = lines[1:]
    bad = [i + 2 for i, r in enumerate(rows) if len(r) != len(header)]
    if bad:
        raise InputError(f"{path}: line {bad[0]} has a different number of columns from the header "
                         f"(config key cohort.pfile)")
    col = {h: [r[i] for r in rows] for i, h in enumerate(header)}
    return samples_frame(col.get("FID", col["IID"]), col["IID"], col.get("SEX"))


def count_pvar(path: str | Path) -> int:
    with open(path) as fh:
        return sum(1 for ln in fh if ln.strip() and not ln.startswith("#"))


def pgen_size(path: str | Path) -> tuple[int, int, int | None]:
    """(variants, samples, expected file size) from a .pgen header; size None when the storage mode
    is not one this reader knows (plink2 then checks it)."""
    with open(path, "rb") as fh:
        head = fh.read(12)
        if len(head) < 3 or head[:2] != PGEN_MAGIC:
            raise InputError(f"{path}: not a PLINK 2 .pgen file (first bytes {head[:3].hex()}, expected 6c1b..) "
                             f"(config key cohort.pfile)")
        if head[2] != 0x10 or len(head) < 12:
            return -1, -1, None
        m, n = struct.unpack("<II", head[3:11])
        ctrl, blocks = head[11], (m + 65535) // 65536
        code = ctrl & 15
        if code > 7 or not blocks:
            return m, n, None
        raw = fh.read(8 * blocks)
        if len(raw) < 8 * blocks:
            return m, n, len(head) + 8 * blocks + 1
        fpos = struct.unpack(f"<{blocks}Q", raw)
        vrtype_bits, len_bytes = (4, code + 1) if code < 4 else (8, code - 3)
        for b in range(blocks):  # per block: record types, record lengths, allele counts, non-REF flags
            k = min(65536, m - 65536 * b)
            fh.seek((k * vrtype_bits + 7) // 8, os.SEEK_CUR)
            lens = fh.read(k * len_bytes)
            fh.seek(k * ((ctrl >> 4) & 3) + ((k + 7) // 8 if ctrl >> 6 == 3 else 0), os.SEEK_CUR)
        if len(lens) < k * len_bytes:
            return m, n, fh.tell() + 1
        last = sum(int.from_bytes(lens[i * len_bytes:(i + 1) * len_bytes], "little") for i in range(k))
        return m, n, fpos[-1] + last


def check_pfile(prefix: str) -> tuple[pl.DataFrame, int]:
    samples = read_psam(f"{prefix}.psam")
    m = count_pvar(f"{prefix}.pvar")
    pgen = f"{prefix}.pgen"
    hm, hn, size = pgen_size(pgen)
    if hm >= 0 and (hm, hn) != (m, samples.height):
        raise InputError(f"{pgen}: its header says {hm} variants x {hn} samples, but {prefix}.pvar has {m} and "
                         f"{prefix}.psam {samples.height} (config key cohort.pfile: files of different filesets?)")
    actual = os.path.getsize(pgen)
    if size is not None and actual != size:
        raise InputError(f"{pgen}: size {actual} bytes, but its header implies {size} bytes: a truncated or "
                         f"damaged .pgen (config key cohort.pfile; copy it again)")
    return samples, m


# --- VCF / BCF -------------------------------------------------------------------------------------

def vcf_header(path: str) -> list[str]:
    """The header lines of a .vcf, .vcf.gz (bgzip or gzip) or .bcf."""
    with open(path, "rb") as fh:
        gz = fh.read(2) == b"\x1f\x8b"
    try:
        with (gzip.open(path, "rb") if gz else open(path, "rb")) as fh:
            first = fh.read(5)
            if first[:3] == b"BCF":
                (length,) = struct.unpack("<I", fh.read(4))
                return fh.read(length).decode(errors="replace").rstrip("\0").splitlines()
            lines = []
            for raw in itertools.chain([first + fh.readline()], fh):
                lines.append(raw.decode(errors="replace").rstrip("\r\n"))
                if not lines[-1].startswith("##"):
                    break
            return lines
    except (OSError, EOFError, zlib.error, struct.error) as exc:
        raise InputError(f"{path}: unreadable as VCF/BCF ({exc}) (config key cohort.vcf)") from None


def vcf_ids(names: list[str], mode: str, path: str) -> pl.DataFrame:
    """Sample IDs as plink2 imports them (cohort.vcf_sample_ids)."""
    if mode == "double-id":
        return samples_frame(names, names)
    if mode == "fid-0":
        return samples_frame(["0"] * len(names), names)
    bad = [i for i, s in enumerate(names) if "_" not in s]
    if bad:
        raise InputError(f"{path}: sample {bad[0] + 1} of the #CHROM line has no '_' to split into FID and IID "
                         f"(config key cohort.vcf_sample_ids = id-delim)")
    return samples_frame([s.split("_", 1)[0] for s in names], [s.split("_", 1)[1] for s in names])


def check_vcf(path: str, mode: str) -> pl.DataFrame:
    lines = vcf_header(path)
    if not lines or not lines[0].startswith("##fileformat=VCF"):
        raise InputError(f"{path}: no '##fileformat=VCF' first line: not a VCF/BCF (config key cohort.vcf)")
    chrom = [ln for ln in lines if ln.startswith("#CHROM")]
    if not chrom:
        raise InputError(f"{path}: no '#CHROM' header line (config key cohort.vcf)")
    cols = chrom[0].split("\t")
    if len(cols) < 10 or cols[8] != "FORMAT":
        raise InputError(f"{path}: no FORMAT column or no sample columns on the #CHROM line: a sites-only VCF "
                         f"(config key cohort.vcf)")
    if not any(ln.startswith("##FORMAT=<ID=GT,") for ln in lines):
        raise InputError(f"{path}: no GT FORMAT field declared (##FORMAT=<ID=GT,...>): snpgen imports hard calls "
                         f"(GT); a dosage-only VCF must be converted first (config key cohort.vcf)")
    return vcf_ids(cols[9:], mode, path)


# --- BGEN ------------------------------------------------------------------------------------------

def check_bgen(path: str, sample: str) -> tuple[pl.DataFrame, int]:
    with open(path, "rb") as fh:
        head = fh.read(24)
        if len(head) < 20 or head[16:20] not in BGEN_MAGIC:
            raise InputError(f"{path}: not a BGEN file (no 'bgen' magic at byte 16) (config key cohort.bgen)")
        header_len, m, n = struct.unpack("<III", head[4:16])
        fh.seek(4 + header_len - 4)
        (flags,) = struct.unpack("<I", fh.read(4))
    layout = (flags >> 2) & 15
    if layout != 2:
        raise InputError(f"{path}: BGEN layout {layout} (version 1.{layout - 1 if layout else 0}); snpgen reads "
                         f"BGEN 1.2 (layout 2) (config key cohort.bgen)")
    return read_sample_file(sample, n, path), m


def read_sample_file(sample: str, n: int, bgen: str) -> pl.DataFrame:
    rows = [ln.split() for ln in Path(sample).read_text().splitlines() if ln.strip()]
    if len(rows) < 2 or rows[0][:2] != ["ID_1", "ID_2"]:
        raise InputError(f"{sample}: not an Oxford .sample file (first line must start 'ID_1 ID_2') "
                         f"(config key cohort.bgen_sample)")
    body = rows[2:]
    if len(body) != n:
        raise InputError(f"{sample}: {len(body)} samples, but the BGEN {bgen} holds {n} (config key "
                         f"cohort.bgen_sample: the sample file of another BGEN?)")
    sex = rows[0].index("sex") if "sex" in rows[0] else None
    return samples_frame([r[0] for r in body], [r[1] for r in body],
                         [r[sex] if sex is not None and len(r) > sex else "0" for r in body])

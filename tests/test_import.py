"""Inputs other than one PLINK 1 fileset (issue 20): the tiny test cohort exported by plink2 to a
PLINK 2 fileset, one bgzipped VCF per chromosome, one BCF, BGEN 1.2 (+ .sample; also one per
chromosome with a shared .sample) and per-chromosome PLINK 1 filesets is checked (snpgen.validate), imported (snpgen.importer) and QC'd (snpgen.qc) as the
workflow's rules do, and must give the same QC'd fileset as the PLINK 1 original: the same
individuals, variants and genotypes (BGEN: hard calls exported, so exactly; a VCF carries no sex).
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

from formats import FORMATS, export
from snpgen import io
from snpgen.config import check_config, cohort_covariates
from snpgen.importer import import_genotypes
from snpgen.phenotypes import encode_covariates, load_phenotypes
from snpgen.preflight import check_bgen, check_pfile, pgen_size
from snpgen.qc import run_qc
from snpgen.simulate import simulate_cohort
from snpgen.sources import InputError, expand_chrom, genotype_source
from snpgen.validate import validate_inputs

ROOT = Path(__file__).resolve().parent.parent
TEST_CONFIG = yaml.safe_load((ROOT / "tests" / "config" / "config.yaml").read_text())
DISEASES = {"cad": {"phenotype_column": "cad", "case_code": "1", "control_code": "0", "missing_codes": ["NA"],
                    "n_snps": 50}}


def qc_of(cohort: dict, out: Path) -> Path:
    """validate_inputs, import_genotypes (when the source needs it) and qc, as the rules chain them."""
    src = genotype_source(cohort)
    validate_inputs(src, cohort["phenotypes"], cohort, cohort_covariates(cohort), DISEASES,
                    check_config({})["split"])
    bfile = src.parts[0]
    if src.needs_import:
        counts = import_genotypes(src, cohort, out / "imported")
        assert counts["multiallelic_dropped"] == 0
        bfile = out / "imported"
    phen = load_phenotypes(cohort["phenotypes"], cohort, fam=io.read_fam(bfile))
    covariates, names = encode_covariates(phen, cohort, cohort["phenotypes"])
    qc = check_config({"qc": TEST_CONFIG["qc"]})["qc"]
    run_qc(bfile, covariates, names, qc, out / "qc" / "cohort", out / "pcs.eigenvec", out / "covariates.tsv",
           out / "qc_summary.json")
    return out / "qc" / "cohort"


@pytest.fixture(scope="module")
def original(tmp_path_factory, plink2_available):
    """The tiny test cohort (tests/config/demo_cohort.yaml: 800 people, 3 populations, 2 chromosomes,
    planted QC artefacts) and its QC'd fileset."""
    root = tmp_path_factory.mktemp("import")
    # SNPGEN_ROUNDTRIP_COHORT=resources/demo_cohort.yaml runs the round trips on the full demo cohort
    # (3,000 people, 4 chromosomes; minutes, not a CI test; result in benchmarks/README.md, section 7)
    params_file = os.environ.get("SNPGEN_ROUNDTRIP_COHORT", "tests/config/demo_cohort.yaml")
    params = yaml.safe_load((ROOT / params_file).read_text())
    simulate_cohort(params, root / "cohort" / "cohort", root / "pheno.tsv", root / "truth.json", seed=7)
    cohort = check_config({"cohort": {"bfile": str(root / "cohort" / "cohort"),
                                      "phenotypes": str(root / "pheno.tsv")}})["cohort"]
    return root, cohort, qc_of(cohort, root / "original")


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_gives_the_same_qc_fileset(original, fmt):
    root, cohort, qc_original = original
    keys = export(cohort["bfile"], fmt, root / fmt)
    qc_imported = qc_of({**cohort, "bfile": None, **keys}, root / f"{fmt}_out")
    want_fam, got_fam = io.read_fam(qc_original), io.read_fam(qc_imported)
    ids = ["FID", "IID"] if fmt in ("vcf", "bcf") else ["FID", "IID", "SEX"]  # a VCF carries no sex
    assert got_fam.select(ids).equals(want_fam.select(ids))
    assert io.read_bim(qc_imported).equals(io.read_bim(qc_original))
    assert Path(f"{qc_imported}.bed").read_bytes() == Path(f"{qc_original}.bed").read_bytes()
    assert want_fam.height > 700 and io.read_bim(qc_original).height > 5000  # QC kept most of the cohort


def test_pgen_size_reads_multi_block_headers(tmp_path, plink2_available):
    """A .pgen over 65,536 variants has one index block per 65,536: the implied size must match,
    and one byte less is refused as truncated."""
    subprocess.run(["plink2", "--dummy", "12", "70000", "--make-pgen", "--out", tmp_path / "d"], check=True,
                   capture_output=True)
    pgen = tmp_path / "d.pgen"
    m, n, size = pgen_size(pgen)
    assert (m, n, size) == (70000, 12, pgen.stat().st_size)
    check_pfile(str(tmp_path / "d"))
    pgen.write_bytes(pgen.read_bytes()[:-1])
    with pytest.raises(InputError, match=r"d\.pgen: size .* truncated .*cohort\.pfile"):
        check_pfile(str(tmp_path / "d"))


def test_chrom_pattern_in_chromosome_order(tmp_path):
    for c in ("10", "2", "X", "1"):
        (tmp_path / f"chr{c}.dose.vcf.gz").write_bytes(b"")
    found = expand_chrom(str(tmp_path / "chr{chrom}.dose.vcf.gz"), "cohort.vcf")
    assert [Path(f).name for f in found] == [f"chr{c}.dose.vcf.gz" for c in ("1", "2", "10", "X")]
    with pytest.raises(InputError, match=r"no file matches .*cohort\.vcf"):
        expand_chrom(str(tmp_path / "part{chrom}.vcf.gz"), "cohort.vcf")


def test_bgen_header_counts_against_sample_file(tmp_path, plink2_available):
    subprocess.run(["plink2", "--dummy", "5", "20", "--export", "bgen-1.2", "--out", tmp_path / "b"], check=True,
                   capture_output=True)
    samples, m = check_bgen(str(tmp_path / "b.bgen"), str(tmp_path / "b.sample"))
    assert (samples.height, m) == (5, 20)
    lines = (tmp_path / "b.sample").read_text().splitlines()
    (tmp_path / "b.sample").write_text("\n".join(lines[:-1]) + "\n")
    with pytest.raises(InputError, match=r"b\.sample: 4 samples, but the BGEN .* holds 5 .*cohort\.bgen_sample"):
        check_bgen(str(tmp_path / "b.bgen"), str(tmp_path / "b.sample"))


def test_multiallelic_dropped_and_missing_ids_set(tmp_path, plink2_available):
    """A multi-allelic site is dropped and counted; '.' IDs are set from cohort.var_id_template."""
    rows = ["1\t10\t.\tA\tG\t.\t.\t.\tGT\t0/1\t1/1\t0/0", "1\t20\trs2\tA\tG,T\t.\t.\t.\tGT\t0/2\t1/1\t0/0",
            "1\t30\trs3\tC\tT\t.\t.\t.\tGT\t0/0\t0/1\t./."]
    (tmp_path / "m.vcf").write_text('##fileformat=VCFv4.2\n##FORMAT=<ID=GT,Number=1,Type=String,Description="GT">\n'
                                    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\tS2\tS3\n"
                                    + "\n".join(rows) + "\n")
    cohort = check_config({"cohort": {"vcf": str(tmp_path / "m.vcf"), "phenotypes": "p.tsv"}})["cohort"]
    counts = import_genotypes(genotype_source(cohort), cohort, tmp_path / "out")
    assert (counts["variants"], counts["multiallelic_dropped"], counts["individuals"]) == (2, 1, 3)
    assert io.read_bim(tmp_path / "out")["ID"].to_list() == ["1:10:A:G", "rs3"]
    assert io.read_fam(tmp_path / "out")["FID"].to_list() == ["S1", "S2", "S3"]  # vcf_sample_ids: double-id
    G = io.read_genotypes(tmp_path / "out")  # counts of A1 = ALT
    assert G[:, 0].tolist() == [1, 2, 0] and G[:, 1].tolist() == [0, 1, -1]


@pytest.mark.parametrize("threshold, uncertain", [(0.1, -1), (0.3, 1)])
def test_bgen_dosages_become_hard_calls_by_the_threshold(tmp_path, plink2_available, threshold, uncertain):
    """cohort.hard_call_threshold: a dosage within it of a hard call is that call, else missing
    (ALT dosage 0.95 -> 1; 0.8 -> missing at 0.1, 1 at 0.3; 1.5 -> missing at both)."""
    rows = ["1\t10\trs1\tA\tG\t.\t.\t.\tGT:DS\t0/0:0\t0/1:0.95\t0/1:0.8\t1/1:2",
            "1\t20\trs2\tC\tT\t.\t.\t.\tGT:DS\t0/0:0.05\t1/1:1.9\t0/1:1.5\t0/1:1"]
    (tmp_path / "ds.vcf").write_text('##fileformat=VCFv4.2\n##FORMAT=<ID=GT,Number=1,Type=String,Description="GT">\n'
                                     '##FORMAT=<ID=DS,Number=1,Type=Float,Description="ALT dosage">\n'
                                     "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\tS2\tS3\tS4\n"
                                     + "\n".join(rows) + "\n")
    subprocess.run(["plink2", "--vcf", tmp_path / "ds.vcf", "dosage=DS", "--double-id", "--export", "bgen-1.2",
                    "ref-first", "--out", tmp_path / "ds"], check=True, capture_output=True)
    cohort = check_config({"cohort": {"bgen": str(tmp_path / "ds.bgen"), "phenotypes": "p.tsv",
                                      "hard_call_threshold": threshold}})["cohort"]
    import_genotypes(genotype_source(cohort), cohort, tmp_path / "out")
    assert io.read_bim(tmp_path / "out")["A1"].to_list() == ["G", "T"]  # A1 = ALT: REF first kept
    G = io.read_genotypes(tmp_path / "out")
    assert G[:, 0].tolist() == [0, 1, uncertain, 2] and G[:, 1].tolist() == [0, 2, -1, 1]

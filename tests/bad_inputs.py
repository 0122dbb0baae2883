"""Bad-input cases: each one breaks a small valid cohort or config in one way.

Used by tests/test_bad_inputs.py (each case must fail with a message naming the file and the
column/line/key: through ``check_case``, the checks a run starts with, without Snakemake, or through
``run_case``, the real workflow, which must also leave no result files) and by
`python tests/bad_inputs.py` which prints the table in docs/input_errors.md from the real messages.
"""
from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import polars as pl
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "workflow"))
from conftest import NO_SLURM, own_workdir  # noqa: E402
from formats import export  # noqa: E402
from snpgen import io  # noqa: E402

N, M = 240, 400


@dataclass
class Case:
    name: str
    what: str                           # the bad input, in words
    mutate: Callable[[Path], None]      # breaks the files under the case directory
    expect: list[str]                   # substrings (regex) the error message must contain
    outcome: str = "refused"            # or "dropped" (run goes on, counted)
    tags: list[str] = field(default_factory=list)


def make_valid(root: Path) -> None:
    """A small valid cohort (PLINK fileset + phenotype table) and config under ``root``."""
    rng = np.random.default_rng(0)
    data = root / "data"
    data.mkdir(parents=True)
    p = rng.uniform(0.1, 0.5, M)
    G = rng.binomial(2, p, size=(N, M)).astype(np.int8)
    ids = [f"P{i:04d}" for i in range(N)]
    fam = pl.DataFrame({"FID": ids, "IID": ids, "SEX": rng.integers(1, 3, N), "PHENO": ["-9"] * N})
    bim = pl.DataFrame({"CHR": ["1"] * M, "ID": [f"rs{j}" for j in range(M)], "CM": [0.0] * M,
                        "POS": [1000 * (j + 1) for j in range(M)], "A1": ["A"] * M, "A2": ["G"] * M})
    io.write_bed(data / "cohort", G, fam, bim)
    case = (G[:, :5].sum(1) + rng.normal(0, 1, N) > np.quantile(G[:, :5].sum(1), 0.6)).astype(int)
    pl.DataFrame({"FID": ids, "IID": ids, "sex": fam["SEX"], "age": rng.normal(50, 5, N).round(1),
                  "dis": [str(c) for c in case]}).write_csv(data / "pheno.tsv", separator="\t")
    (root / "diseases.yaml").write_text(yaml.safe_dump({"dis": {"phenotype_column": "dis", "n_snps": 50,
                                                                "synthetic_n": 100}}))
    cfg = {"results": str(root / "results"), "diseases_file": str(root / "diseases.yaml"), "seed": 1,
           "cohort": {"bfile": str(data / "cohort"), "phenotypes": str(data / "pheno.tsv")},
           "qc": {"n_pcs": 3}, "gwas": {"n_pcs": 2}, "split": {"min_cases": 5}}
    (root / "config.yaml").write_text(yaml.safe_dump(cfg))


def _edit_yaml(path: Path, fn) -> None:
    data = yaml.safe_load(path.read_text())
    fn(data)
    path.write_text(yaml.safe_dump(data))


def cfg(fn):
    return lambda root: _edit_yaml(root / "config.yaml", fn)


def dis(fn):
    return lambda root: _edit_yaml(root / "diseases.yaml", lambda d: fn(d["dis"]))


def edit_lines(name: str, fn):
    def mutate(root: Path):
        path = root / "data" / name
        lines = path.read_text().splitlines()
        path.write_text("\n".join(fn(lines)) + "\n")
    return mutate


def set_line(i: int, value: str):
    def fn(lines):
        lines[i] = value
        return lines
    return fn


def pheno(fn):
    def mutate(root: Path):
        path = root / "data" / "pheno.tsv"
        df = pl.read_csv(path, separator="\t", infer_schema_length=0)
        fn(df).write_csv(path, separator="\t")
    return mutate


def _to_comma(root: Path):
    path = root / "data" / "pheno.tsv"
    path.write_text(path.read_text().replace("\t", ","))


def set_cell(col: str, row: int, value: str):
    return pheno(lambda df: df.with_columns(
        pl.when(pl.int_range(pl.len()) == row).then(pl.lit(value)).otherwise(pl.col(col)).alias(col)))


def monomorphic_then_k(k: int):
    """10 SNPs made monomorphic (QC's MAF filter removes them), then K set between the counts."""
    def mutate(root: Path):
        prefix = root / "data" / "cohort"
        G = io.read_genotypes(prefix)
        G[:, :10] = 0
        io.write_bed(prefix, G, io.read_fam(prefix), io.read_bim(prefix))
        _edit_yaml(root / "diseases.yaml", lambda d: d["dis"].update(n_snps=k))
    return mutate


def truncate_bed(root: Path):
    bed = root / "data" / "cohort.bed"
    bed.write_bytes(bed.read_bytes()[:-7])


def bad_magic(root: Path):
    bed = root / "data" / "cohort.bed"
    data = bytearray(bed.read_bytes())
    data[:3] = b"\x00\x00\x00"
    bed.write_bytes(bytes(data))


def as_format(fmt: str, then: Callable[[Path], None] | None = None):
    """The valid cohort delivered as ``fmt`` (plink2 export, tests/formats.py) instead of PLINK 1; then
    ``then`` breaks it."""
    def mutate(root: Path):
        keys = export(root / "data" / "cohort", fmt, root / "data" / fmt)
        _edit_yaml(root / "config.yaml", lambda c: c["cohort"].update(bfile=None, **keys))
        if then:
            then(root / "data" / fmt)
    return mutate


def truncate_pgen(folder: Path):
    pgen = folder / "cohort.pgen"
    pgen.write_bytes(pgen.read_bytes()[:-7])


def vcf_without_gt(folder: Path):
    """chr1's VCF rewritten with dosages (DS) in place of GT calls, as some imputation pipelines write."""
    import gzip
    path = folder / "chr1.vcf.gz"
    text = gzip.decompress(path.read_bytes()).decode()
    text = text.replace('##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
                        '##FORMAT=<ID=DS,Number=1,Type=Float,Description="ALT dosage">')
    for gt, ds in (("\tGT\t", "\tDS\t"), ("0/0", "0"), ("0/1", "1"), ("1/1", "2"), ("./.", ".")):
        text = text.replace(gt, ds)
    path.write_bytes(gzip.compress(text.encode()))


def vcf_part_other_samples(folder: Path):
    """A second per-chromosome VCF whose sample columns differ from chr1's (one sample renamed)."""
    import gzip
    text = gzip.decompress((folder / "chr1.vcf.gz").read_bytes()).decode()
    (folder / "chr2.vcf.gz").write_bytes(gzip.compress(text.replace("\tP0005", "\tQ0005", 1).encode()))


CASES = [
    # --- configuration (validated at parse time, before any job) ---
    Case("config_unknown_key", "unknown top-level key in config.yaml", cfg(lambda c: c.update(colour="red")),
         [r"config", r"unknown key colour"], tags=["config"]),
    Case("config_unknown_nested_key", "misspelt key inside a section", cfg(lambda c: c["qc"].update(mafx=0.1)),
         [r"config", r"unknown key qc\.mafx"], tags=["config"]),
    Case("config_wrong_type", "a number given as text", cfg(lambda c: c["qc"].update(maf="low")),
         [r"config", r"qc\.maf", r"not of type"], tags=["config"]),
    Case("config_out_of_range", "MAF threshold above 0.5", cfg(lambda c: c["qc"].update(maf=0.9)),
         [r"config", r"qc\.maf", r"maximum"], tags=["config"]),
    Case("config_split_sum", "split fractions not summing to 1", cfg(lambda c: c["split"].update(train=0.8)),
         [r"config", r"split\.train \+ split\.val \+ split\.test must sum to 1"], tags=["config"]),
    Case("config_only_bfile", "cohort.bfile set without cohort.phenotypes",
         cfg(lambda c: c["cohort"].update(phenotypes=None)), [r"config", r"cohort\.bfile and cohort\.phenotypes"],
         tags=["config"]),
    Case("config_missing_diseases_file", "diseases_file points nowhere",
         cfg(lambda c: c.update(diseases_file="/nonexistent/diseases.yaml")),
         [r"/nonexistent/diseases\.yaml", r"diseases_file"], tags=["config"]),
    Case("diseases_missing_required", "disease without phenotype_column",
         dis(lambda d: d.pop("phenotype_column")), [r"diseases\.yaml", r"phenotype_column", r"required"],
         tags=["config"]),
    Case("diseases_k_zero", "K (n_snps) < 1", dis(lambda d: d.update(n_snps=0)),
         [r"diseases\.yaml", r"dis\.n_snps", r"minimum"], tags=["config"]),
    Case("diseases_case_fraction", "case fraction outside (0, 1)", dis(lambda d: d.update(synthetic_case_fraction=1.2)),
         [r"diseases\.yaml", r"dis\.synthetic_case_fraction"], tags=["config"]),
    Case("diseases_negative_n", "negative synthetic sample size", dis(lambda d: d.update(synthetic_n=-10)),
         [r"diseases\.yaml", r"dis\.synthetic_n", r"minimum"], tags=["config"]),
    Case("diseases_unknown_key", "unknown key in a disease entry", dis(lambda d: d.update(prevalance=0.1)),
         [r"diseases\.yaml", r"unknown key dis\.prevalance"], tags=["config"]),
    Case("diseases_k_above_snps", "K larger than the SNPs in the cohort", dis(lambda d: d.update(n_snps=5000)),
         [r"dis\.n_snps = 5000", r"cohort\.bim"], tags=["input"]),
    Case("diseases_k_above_qc_snps", "K larger than the SNPs left after QC", monomorphic_then_k(395),
         [r"dis\.n_snps = 395", r"left after QC"], tags=["qc"]),
    Case("diseases_column_absent", "phenotype column named in diseases.yaml absent",
         dis(lambda d: d.update(phenotype_column="diabetes")), [r"pheno\.tsv", r"'diabetes' not found"], tags=["input"]),
    # --- PLINK fileset ---
    Case("plink_missing_member", "the .bim of the fileset is missing",
         lambda root: (root / "data" / "cohort.bim").unlink(), [r"cohort\.bim"], tags=["input"]),
    Case("plink_bad_magic", ".bed with wrong magic bytes", bad_magic, [r"cohort\.bed", r"magic|6c1b01"], tags=["input"]),
    Case("plink_bed_size", ".bed size not matching .bim x .fam", truncate_bed,
         [r"cohort\.bed", r"does not match 240 individuals", r"400 variants"], tags=["input"]),
    Case("plink_fam_columns", ".fam line with 5 columns", edit_lines("cohort.fam", set_line(9, "P0009 P0009 0 0 1")),
         [r"cohort\.fam", r"line 10 has 5 columns"], tags=["input"]),
    Case("plink_bim_columns", ".bim line with 7 columns", edit_lines("cohort.bim", set_line(4, "1 rs4 0 5000 A G X")),
         [r"cohort\.bim", r"line 5 has 7 columns"], tags=["input"]),
    Case("plink_duplicate_samples", "duplicate sample ID in .fam",
         edit_lines("cohort.fam", set_line(7, "P0003\tP0003\t0\t0\t1\t-9")),
         [r"cohort\.fam", r"duplicate sample ID", r"line\(s\) 8"], tags=["input"]),
    Case("plink_duplicate_variants", "duplicate variant ID in .bim",
         edit_lines("cohort.bim", set_line(6, "1\trs2\t0\t7000\tA\tG")),
         [r"cohort\.bim", r"duplicate variant ID", r"line\(s\) 7"], tags=["input"]),
    Case("plink_non_acgt", "non-ACGT alleles (indel / 0 allele)",
         edit_lines("cohort.bim", lambda ls: [set_line(3, "1\trs3\t0\t4000\tAT\tG")(ls)[i] if i != 8 else
                                              "1\trs8\t0\t9000\t0\tG" for i in range(len(ls))]),
         [r"non_acgt_variants_dropped_by_qc.: 2"], outcome="dropped", tags=["input"]),
    # --- PLINK 2, VCF, BGEN ---
    Case("pfile_truncated", "a PLINK 2 .pgen cut short (7 bytes missing)", as_format("pfile", truncate_pgen),
         [r"cohort\.pgen", r"truncated", r"cohort\.pfile"], tags=["input"]),
    Case("vcf_without_gt", "a VCF with dosages (DS) but no GT FORMAT field", as_format("vcf", vcf_without_gt),
         [r"chr1\.vcf\.gz", r"no GT FORMAT field", r"cohort\.vcf"], tags=["input"]),
    Case("bgen_without_sample", "a BGEN whose .sample file is missing",
         as_format("bgen", lambda folder: (folder / "cohort.sample").unlink()),
         [r"cohort\.sample", r"sample file of the BGEN", r"cohort\.bgen_sample"], tags=["input"]),
    Case("vcf_parts_differ", "per-chromosome VCFs whose samples differ", as_format("vcf", vcf_part_other_samples),
         [r"chr2\.vcf\.gz: its samples differ from those of .*chr1\.vcf\.gz", r"cohort\.vcf"], tags=["input"]),
    Case("vcf_no_overlap", "VCF samples that are not in the phenotype table",
         lambda root: (as_format("vcf")(root), pheno(lambda df: df.with_columns(
             (pl.lit("X") + pl.col("FID")).alias("FID"), (pl.lit("X") + pl.col("IID")).alias("IID")))(root)),
         [r"pheno\.tsv", r"none of its 240 individuals is in the samples of .*chr1\.vcf\.gz", r"cohort\.vcf"],
         tags=["input"]),
    Case("config_two_genotype_inputs", "both cohort.bfile and cohort.vcf set",
         cfg(lambda c: c["cohort"].update(vcf="/data/chr{chrom}.vcf.gz")),
         [r"config", r"cohort\.bfile and cohort\.vcf are all set", r"exactly one"], tags=["config"]),
    # --- phenotype table ---
    Case("pheno_missing_id_column", "phenotype table without the IID column",
         pheno(lambda df: df.rename({"IID": "sample"})), [r"pheno\.tsv", r"ID column 'IID' not found", r"iid_column"],
         tags=["input"]),
    Case("pheno_no_overlap", "no phenotype ID is in the .fam",
         pheno(lambda df: df.with_columns((pl.lit("X") + pl.col("FID")).alias("FID"),
                                          (pl.lit("X") + pl.col("IID")).alias("IID"))),
         [r"pheno\.tsv", r"none of its 240 individuals is in the \.fam"], tags=["input"]),
    Case("pheno_partial_overlap", "some phenotype IDs absent from the .fam (counted)",
         pheno(lambda df: df.with_columns(pl.when(pl.int_range(pl.len()) < 5).then(pl.lit("ZZ") + pl.col("IID"))
                                          .otherwise(pl.col("IID")).alias("IID"))),
         [r"not_in_fam.: 5"], outcome="dropped", tags=["input"]),
    Case("pheno_bad_code", "disease column with a value other than the case/control/missing codes",
         set_cell("dis", 11, "yes"), [r"pheno\.tsv", r"column 'dis'", r"file lines 13"], tags=["input"]),
    Case("pheno_too_few_cases", "fewer cases than split.min_cases allows",
         pheno(lambda df: df.with_columns(pl.when(pl.int_range(pl.len()) > 8).then(pl.lit("0"))
                                          .otherwise(pl.col("dis")).alias("dis"))),
         [r"pheno\.tsv", r"disease 'dis'", r"<10 cases", r"split\.min_cases = 5 per split",
          r"smallest split fraction 0\.15", r"at least 33 in the whole cohort"], tags=["input"]),
    Case("pheno_covariate_text", "covariate with non-numeric values", set_cell("age", 20, "fifty"),
         [r"pheno\.tsv", r"covariate column 'age'", r"line\(s\) 22"], tags=["input"]),
    Case("pheno_covariate_absent", "covariate named in config absent from the table",
         cfg(lambda c: c["cohort"].update(covariates=["age", "bmi"])), [r"pheno\.tsv", r"covariate column 'bmi' not found"],
         tags=["input"]),
    Case("pheno_empty", "an empty phenotype table (0 bytes)",
         lambda root: (root / "data" / "pheno.tsv").write_text(""),
         [r"pheno\.tsv", r"empty", r"cohort\.phenotypes"], tags=["input"]),
    Case("pheno_header_only", "a phenotype table with a header line and no rows",
         edit_lines("pheno.tsv", lambda ls: ls[:1]), [r"pheno\.tsv", r"no rows", r"cohort\.phenotypes"],
         tags=["input"]),
    Case("pheno_delimiter_mismatch", "a comma-separated table with cohort.phenotype_delimiter: tab",
         lambda root: (pheno(lambda df: df)(root), _to_comma(root),
                       _edit_yaml(root / "config.yaml", lambda c: c["cohort"].update(phenotype_delimiter="tab"))),
         [r"pheno\.tsv", r"single column with the tab delimiter", r"cohort\.phenotype_delimiter: comma"],
         tags=["input"]),
    Case("pheno_ragged_rows", "a row with a field too many (delimiter inside a value)",
         edit_lines("pheno.tsv", lambda ls: [ln + "\textra" if i == 6 else ln for i, ln in enumerate(ls)]),
         [r"pheno\.tsv", r"line 7 has 6 field\(s\) with the tab delimiter", r"phenotype_delimiter"],
         tags=["input"]),
    Case("pheno_categorical_per_person", "a categorical covariate with a level per person (an ID column)",
         lambda root: (pheno(lambda df: df.with_columns((pl.lit("S") + pl.col("IID")).alias("sample_id")))(root),
                       _edit_yaml(root / "config.yaml",
                                  lambda c: c["cohort"].update(categorical_covariates=["sample_id"]))),
         [r"pheno\.tsv", r"categorical covariate column 'sample_id'", r"different level for every person",
          r"cohort\.categorical_covariates"], tags=["input"]),
    Case("pheno_categorical_many_levels", "a categorical covariate with more levels than cohort.max_covariate_levels",
         lambda root: (pheno(lambda df: df.with_columns((pl.int_range(pl.len()) % 60).cast(pl.Utf8).alias("site")))(root),
                       _edit_yaml(root / "config.yaml",
                                  lambda c: c["cohort"].update(categorical_covariates=["site"]))),
         [r"pheno\.tsv", r"'site' has 60 levels", r"cohort\.max_covariate_levels = 20"], tags=["input"]),
    Case("pheno_duplicate_rows", "the same individual twice in the phenotype table",
         pheno(lambda df: pl.concat([df, df[3:4]])), [r"pheno\.tsv", r"duplicate individual", r"line\(s\) 242"],
         tags=["input"]),
]


def run_case(case: Case, root: Path, target: str = "qc") -> tuple[int, str, Path]:
    """Apply the case to a fresh valid setup under root; run the workflow to ``target``."""
    if root.exists():
        shutil.rmtree(root)
    make_valid(root)
    case.mutate(root)
    results = root / "results"
    targets = {"qc": [str(results / "qc" / "qc_summary.json")]}[target]
    proc = subprocess.run([str(Path(sys.executable).parent / "snakemake"), "--cores", "1", *own_workdir(results),
                           "--configfile", str(root / "config.yaml"), "--workflow-profile", "none", *targets],
                          cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0", **NO_SLURM})
    out = proc.stdout + proc.stderr
    if case.outcome == "dropped" and (results / "inputs" / "validated.json").exists():
        out += (results / "inputs" / "validated.json").read_text()
    return proc.returncode, out, results


def snakefile_config(root: Path) -> tuple[dict, list]:
    """The config as the Snakefile sees it in ``run_case``: the repository's config/config.yaml (the
    Snakefile's ``configfile:``) overlaid by the case's ``--configfile``, plus the (file, raw dict)
    origins that workflow/rules/common.smk passes to check_config so that errors name the file."""
    from snakemake.utils import update_config

    origins = [(str(p), yaml.safe_load((ROOT / p).read_text()) or {})
               for p in ("config/config.yaml", root / "config.yaml")]
    config = copy.deepcopy(origins[0][1])
    update_config(config, copy.deepcopy(origins[1][1]))
    return config, origins


def check_case(case: Case, root: Path) -> tuple[bool, str]:
    """Apply a case to a fresh valid setup under root and run the checks a workflow run starts
    with, without Snakemake or plink2: the config and diseases file (snpgen.config, as
    workflow/rules/common.smk calls it), then the inputs (snpgen.validate, with the parameters of
    the validate_inputs rule). Returns (refused, text): the error message, or the input report
    (what results/inputs/validated.json would hold) as JSON when the inputs pass."""
    from snpgen.config import ConfigError, check_config, cohort_covariates, load_diseases
    from snpgen.sources import genotype_source
    from snpgen.validate import InputError, validate_inputs

    if root.exists():
        shutil.rmtree(root)
    make_valid(root)
    case.mutate(root)
    try:
        raw, origins = snakefile_config(root)
        config = check_config(raw, origins=origins)
        diseases = load_diseases(config["diseases_file"])
    except ConfigError as exc:
        return True, str(exc)
    cohort = config["cohort"]
    defs = {d: {k: v for k, v in e.items() if not k.startswith("synthetic_")} for d, e in diseases.items()}
    try:  # the source as common.smk resolves it, then the validate_inputs rule's checks
        report = validate_inputs(genotype_source(cohort), cohort["phenotypes"], cohort, cohort_covariates(cohort),
                                 defs, config["split"], min_count=config["evaluate"]["min_cell_count"])
    except InputError as exc:
        return True, str(exc)
    validated = Path(config["results"]) / "inputs" / "validated.json"
    io.write_json(validated, report)  # as the rule's script writes it
    return False, validated.read_text()


def validate_case(case: Case, root: Path) -> str | None:
    """The error message of ``check_case``, or None when the case passes."""
    refused, text = check_case(case, root)
    return text if refused else None


def message_lines(case: Case, output: str) -> str:
    """The lines of the run's output that carry the expected message."""
    noise = ("input:", "output:", "log:", "Command:", "Config file", "affected files")
    keep = [ln.strip() for ln in output.splitlines() if any(re.search(e, ln) for e in case.expect)]
    keep = [re.sub(r"^\[[^\]]+\] ERROR ", "", ln) for ln in keep if not ln.strip().startswith(noise)]
    keep = [ln for ln in keep if "failed:" in ln] or keep
    return " / ".join(dict.fromkeys(keep))[:400]


if __name__ == "__main__":  # print the docs/input_errors.md table from real runs
    import tempfile
    print("| case | bad input | outcome | message (from a real run) |\n|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for case in CASES:
            rc, out, _ = run_case(case, Path(tmp) / case.name)
            msg = message_lines(case, out)
            if case.outcome == "dropped":
                msg = "run goes on; results/inputs/validated.json records " + msg
            msg = msg.replace(tmp, "…").replace("|", "\\|")
            print(f"| `{case.name}` | {case.what} | {case.outcome} (exit {rc}) | {msg} |")

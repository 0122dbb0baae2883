"""How the rules connect, checked without running a job (fast loop): snakemake --lint and dry runs
of the demo config, the tiny test config of the end-to-end tests and an own-data config.
A few seconds each; nothing is computed."""
from __future__ import annotations

import os
import re
import subprocess

from bad_inputs import as_format, make_valid
from conftest import NO_SLURM, ROOT, SNAKEMAKE, TEST_CONFIG, run_snakemake


def all_rules() -> set[str]:
    included = re.findall(r'^include: "(.+)"', (ROOT / "Snakefile").read_text(), flags=re.M)
    rules = set(re.findall(r"^rule (\w+):", "".join((ROOT / p).read_text() for p in included), flags=re.M))
    rules.discard("all")
    return rules


def planned(proc: subprocess.CompletedProcess) -> set[str]:
    """The rules in the dry run's job table."""
    return set(re.findall(r"^(\w+)\s+\d+$", proc.stdout + proc.stderr, flags=re.M)) - {"total", "all"}


def test_lint_is_clean():
    proc = subprocess.run([SNAKEMAKE, "--lint"], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, **NO_SLURM})
    assert proc.returncode == 0 and "Congratulations" in proc.stdout + proc.stderr, proc.stdout + proc.stderr


# only for inputs other than one PLINK 1 fileset (test_dry_run_with_a_vcf_per_chromosome)
IMPORT = {"import_genotypes"}


def test_dry_run_lists_every_rule(tmp_path):
    proc = run_snakemake(tmp_path / "results", "-n", configfile=ROOT / "config" / "config.yaml", timeout=300)
    out = proc.stdout + proc.stderr
    for rule in all_rules() - IMPORT:
        assert re.search(rf"^{rule}\s+\d+", out, flags=re.M), f"rule {rule} missing from the dry run"


def test_dry_run_of_the_end_to_end_test_config(tmp_path):
    """The config of the slow tests plans every rule: a wiring break shows here, not after a real run."""
    proc = run_snakemake(tmp_path / "results", "-n", configfile=TEST_CONFIG, timeout=300)
    assert planned(proc) == all_rules() - IMPORT, (proc.stdout + proc.stderr)[-4000:]


def test_dry_run_with_own_data(tmp_path):
    """cohort.bfile + cohort.phenotypes (not the demo): every rule but the simulation, from the given files."""
    make_valid(tmp_path)
    proc = run_snakemake(tmp_path / "results", "-n", "-p", configfile=tmp_path / "config.yaml", timeout=300)
    assert planned(proc) == all_rules() - {"simulate_cohort"} - IMPORT, (proc.stdout + proc.stderr)[-4000:]
    out = proc.stdout + proc.stderr
    assert re.search(rf"rule validate_inputs:\n\s+input: {re.escape(str(tmp_path / 'data' / 'cohort'))}\.bed", out), \
        out[-4000:]


def test_dry_run_with_a_vcf_per_chromosome(tmp_path):
    """cohort.vcf as a {chrom} pattern: the files found are checked, then imported, then QC'd."""
    make_valid(tmp_path)
    as_format("vcf")(tmp_path)
    proc = run_snakemake(tmp_path / "results", "-n", "-p", configfile=tmp_path / "config.yaml", timeout=300)
    out = proc.stdout + proc.stderr
    assert planned(proc) == all_rules() - {"simulate_cohort"}, out[-4000:]
    assert re.search(rf"rule validate_inputs:\n\s+input: {re.escape(str(tmp_path / 'data' / 'vcf' / 'chr1'))}"
                     r"\.vcf\.gz", out), out[-4000:]
    assert re.search(r"rule qc:\n\s+input: .*cohort/imported\.bed", out), out[-4000:]

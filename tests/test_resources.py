"""Resources of the heavy rules scale with the input size and the retry attempt (snpgen.resources,
issue 23): the formulas, the line counts they read, and a dry run on a faked biobank-size cohort."""
from __future__ import annotations

import re

import pytest
import yaml

from conftest import ROOT, run_snakemake
from snpgen import resources as res

BIG_N, BIG_M, K, SYN_N = 50_000, 200_000, 1024, 50_000


def test_scaled_clamps_and_multiplies_by_attempt():
    assert res.scaled(10, floor=100, cap=1000, attempt=1) == 100
    assert res.scaled(10, floor=100, cap=1000, attempt=3) == 300
    assert res.scaled(400.2, floor=100, cap=1000, attempt=1) == 401
    assert res.scaled(400, floor=100, cap=1000, attempt=3) == 1000


@pytest.mark.parametrize("rule", sorted(res.ESTIMATES))
def test_estimates_grow_with_size_and_stay_within_floor_and_cap(rule):
    small = res.Workload(people=3000, variants=23_000, k=K, synthetic_n=3000, vae_epochs=60,
                         diffusion_steps=6000, dense_variants=23_000)
    big = res.Workload(people=BIG_N, variants=BIG_M, k=K, synthetic_n=SYN_N, vae_epochs=60,
                       diffusion_steps=6000, dense_variants=30_000)
    mem_floor, time_floor = res.ESTIMATES[rule][:2]
    e_small, e_big = res.estimate(rule, small), res.estimate(rule, big)
    assert e_small == {"mem_mb": mem_floor, "runtime": time_floor}, "the demo size sits on the floors"
    mem, runtime = res.ESTIMATES[rule][2:]
    assert mem(big) > mem(small) and runtime(big) > runtime(small)
    retry = res.estimate(rule, big, attempt=2)
    for key, cap in (("mem_mb", res.MEM_CAP_MB), ("runtime", res.RUNTIME_CAP_MIN)):
        assert e_big[key] <= retry[key] <= min(cap, 2 * e_big[key])
    assert res.estimate(rule, res.Workload(people=10**7, variants=10**7, k=10**5, synthetic_n=10**7,
                                           vae_epochs=1000, dense_variants=10**7), attempt=5) == \
        {"mem_mb": res.MEM_CAP_MB, "runtime": res.RUNTIME_CAP_MIN}


def test_fileset_dims_counts_lines_and_follows_changes(tmp_path):
    prefix = tmp_path / "c"
    assert res.fileset_dims(prefix) is None
    (tmp_path / "c.fam").write_text("a a 0 0 1 -9\n" * 3)
    (tmp_path / "c.bim").write_text("1 rs1 0 1 A G\n" * 5)
    assert res.fileset_dims(prefix) == (3, 5)
    (tmp_path / "c.bim").write_text("1 rs1 0 1 A G\n" * 7)
    assert res.fileset_dims(prefix) == (3, 7)


def test_demo_workload_holds_two_chromosomes_when_written_per_chromosome():
    p = {"n_individuals": 1000, "n_chromosomes": 10, "chromosome_length_mb": 2.0}
    whole = res.demo_workload(p)
    per = res.demo_workload({**p, "per_chromosome": True})
    assert whole.variants == per.variants == 5 * per.dense_variants == whole.dense_variants  # two at once
    one = res.demo_workload({**p, "n_chromosomes": 1, "per_chromosome": True})
    assert one.dense_variants == one.variants


def test_rule_workload_reads_the_model_budget_and_the_disease():
    model = {"vae": {"epochs": 60}, "diffusion": {"epochs": 40, "steps_per_epoch": 100}}
    w = res.rule_workload(res.Workload(10, 20), {"n_snps": 5, "synthetic_n": 7}, model, 0.7, threads=2)
    assert (w.people, w.variants, w.k, w.synthetic_n, w.vae_epochs, w.diffusion_steps) == (10, 20, 5, 7, 60, 4000)
    assert w.king_share == 1.0
    pruned = res.rule_workload(res.Workload(50_000, 200_000), None, model, 0.7, qc={"king_prune_r2": 0.2})
    assert pruned.king_share == res.PRUNED_SHARE
    assert res.estimate("qc", pruned)["runtime"] < res.estimate("qc", res.Workload(50_000, 200_000))["runtime"]


def fake_big_cohort(root):
    """A cohort of BIG_N people x BIG_M variants that costs nothing: .fam/.bim of the right line
    counts, a sparse .bed of the right size, a phenotype table; own-data config and diseases."""
    data = root / "data"
    data.mkdir()
    ids = [f"P{i:06d}" for i in range(BIG_N)]
    (data / "cohort.fam").write_text("".join(f"{i} {i} 0 0 1 -9\n" for i in ids))
    (data / "cohort.bim").write_text("".join(f"1 rs{j} 0 {j + 1} A G\n" for j in range(BIG_M)))
    with open(data / "cohort.bed", "wb") as fh:
        fh.write(b"\x6c\x1b\x01")
        fh.truncate(3 + BIG_M * ((BIG_N + 3) // 4))
    (data / "pheno.tsv").write_text("FID\tIID\tage\tdis\n" + "".join(f"{i}\t{i}\t50\t0\n" for i in ids))
    (root / "diseases.yaml").write_text(yaml.safe_dump({"dis": {"phenotype_column": "dis", "n_snps": K,
                                                                "synthetic_n": SYN_N}}))
    cfg = {"results": str(root / "results"), "diseases_file": str(root / "diseases.yaml"), "seed": 1,
           "cohort": {"bfile": str(data / "cohort"), "phenotypes": str(data / "pheno.tsv"), "sex_column": None}}
    (root / "config.yaml").write_text(yaml.safe_dump(cfg))


def planned_resources(out: str) -> dict[str, dict[str, int]]:
    """rule -> {mem_mb, runtime} from a dry run's job listing."""
    found = {}
    for rule, line in re.findall(r"^rule (\w+):\n(?:\s+\w+: .*\n)*?\s+resources: (.*)$", out, flags=re.M):
        found[rule] = {k: int(v) for k, v in re.findall(r"\b(mem_mb|runtime)=(\d+)", line)}
    return found


def test_dry_run_shows_resources_scaled_to_a_faked_biobank_cohort(tmp_path):
    fake_big_cohort(tmp_path)
    proc = run_snakemake(tmp_path / "results", "-n", configfile=tmp_path / "config.yaml", timeout=300)
    planned = planned_resources(proc.stdout + proc.stderr)
    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    from snpgen.config import check_config

    checked = check_config(cfg)
    model = checked["model"]
    cohort = res.Workload(people=BIG_N, variants=BIG_M)
    for rule in ("qc", "gwas", "select_snps", "prs", "train_vae", "train_diffusion", "sample_cohort", "evaluate"):
        disease = None if rule == "qc" else {"n_snps": K, "synthetic_n": SYN_N}
        want = res.estimate(rule, res.rule_workload(cohort, disease, model, 0.7, threads=2, qc=checked["qc"]))
        assert planned[rule] == want, (rule, planned.get(rule), want)
    # the rules whose work grows with people x variants or x epochs leave their floors; the
    # diffusion (a fixed number of optimizer steps) and sampling 50k x 1,024 stay on theirs
    for rule in ("qc", "gwas", "select_snps", "prs", "train_vae", "evaluate"):
        assert planned[rule]["runtime"] > res.ESTIMATES[rule][1], (rule, planned[rule])
    # above the constants the rules had before (qc 4,000 MB / 60 min)
    assert planned["qc"]["mem_mb"] > 4000 and planned["qc"]["runtime"] > 30, planned["qc"]


def test_vae_step_budget_caps_the_epochs_and_the_runtime_estimate():
    """vae.max_steps: a fixed number of optimizer steps, whatever N (epochs = ceil(steps / steps per
    epoch), at most `epochs`); the train_vae runtime estimate follows the same number."""
    from snpgen.resources import Workload, estimate, rule_workload, vae_epochs

    assert vae_epochs({"epochs": 60, "batch_size": 64}, 35000) == 60
    assert vae_epochs({"epochs": 60, "batch_size": 64, "max_steps": 6000}, 35000) == 11  # 547 steps / epoch
    assert vae_epochs({"epochs": 60, "batch_size": 64, "max_steps": 6000}, 2000) == 60   # small cohort: epochs
    cohort = Workload(people=50000, variants=200000)
    model = {"vae": {"epochs": 60, "batch_size": 64}, "diffusion": {}}
    capped = {"vae": {**model["vae"], "max_steps": 6000}, "diffusion": {}}
    disease = {"n_snps": 1024, "synthetic_n": 35000}
    full = estimate("train_vae", rule_workload(cohort, disease, model, 0.7))["runtime"]
    short = estimate("train_vae", rule_workload(cohort, disease, capped, 0.7))["runtime"]
    assert short < full / 3, (short, full)

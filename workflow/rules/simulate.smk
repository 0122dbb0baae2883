# The embedded demo cohort: used when cohort.bfile is null in config/config.yaml.


rule simulate_cohort:
    input:
        params=DEMO_PARAMS,
    output:
        bed=f"{RESULTS}/cohort/cohort.bed",
        bim=f"{RESULTS}/cohort/cohort.bim",
        fam=f"{RESULTS}/cohort/cohort.fam",
        phenotypes=f"{RESULTS}/cohort/phenotypes.tsv",
        truth=f"{RESULTS}/cohort/truth.json",
    params:
        seed=stage_seed(SEED, "simulate"),
    log:
        f"{RESULTS}/logs/simulate_cohort.log",
    benchmark:
        f"{RESULTS}/benchmarks/simulate_cohort.tsv"
    threads: 2
    resources:
        mem_mb=scaled("simulate_cohort", "mem_mb"),
        runtime=scaled("simulate_cohort", "runtime"),
    conda:
        "../../envs/python.yaml"
    script:
        "../scripts/simulate_cohort.py"

# Per-disease train / validation / test split; everything learned sees the training split only.


rule split_samples:
    input:
        fam=f"{QC_BFILE}.fam",
        phenotypes=PHENOTYPES,
    output:
        train=f"{RESULTS}/{{disease}}/split/train.ids",
        val=f"{RESULTS}/{{disease}}/split/val.ids",
        test=f"{RESULTS}/{{disease}}/split/test.ids",
        pheno=f"{RESULTS}/{{disease}}/split/pheno.tsv",
        summary=f"{RESULTS}/{{disease}}/split/split_summary.json",
    params:
        disease=lambda wc: DISEASE_DEFS[wc.disease],
        cohort=COHORT,
        fractions=config["split"],
        min_cases=config["split"]["min_cases"],
        min_count=MIN_CELL_COUNT,
        seed=lambda wc: stage_seed(SEED, "split", wc.disease),
    log:
        f"{RESULTS}/logs/{{disease}}/split_samples.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{disease}}/split_samples.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../envs/python.yaml"
    script:
        "../scripts/split_samples.py"

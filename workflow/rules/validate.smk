# Input checks before any heavy work: file, column and key named in every message.


rule validate_inputs:
    input:
        genotypes=GENOTYPE_FILES,
        phenotypes=PHENOTYPES,
    output:
        f"{RESULTS}/inputs/validated.json",
    params:
        source=GENOTYPE_SOURCE,
        cohort=COHORT,
        covariates=COVARIATES,
        diseases=DISEASE_DEFS,
        split=config["split"],
        min_count=MIN_CELL_COUNT,
    log:
        f"{RESULTS}/logs/validate_inputs.log",
    benchmark:
        f"{RESULTS}/benchmarks/validate_inputs.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../envs/python.yaml"
    script:
        "../scripts/validate_inputs.py"

# Quality control with plink2: call rates, MAF, HWE, relatedness (KING), ancestry PCs.


rule qc:
    input:
        validated=f"{RESULTS}/inputs/validated.json",
        bed=f"{COHORT_BFILE}.bed",
        bim=f"{COHORT_BFILE}.bim",
        fam=f"{COHORT_BFILE}.fam",
        phenotypes=PHENOTYPES,
        imported=[IMPORT_SUMMARY] if GENOTYPES.needs_import else [],
    output:
        bed=f"{QC_BFILE}.bed",
        bim=f"{QC_BFILE}.bim",
        fam=f"{QC_BFILE}.fam",
        eigenvec=f"{RESULTS}/qc/pcs.eigenvec",
        covariates=f"{RESULTS}/qc/covariates.tsv",
        summary=f"{RESULTS}/qc/qc_summary.json",
    params:
        cohort=COHORT,
        covariates=COVARIATES,
        qc=config["qc"],
        n_snps={d: v["n_snps"] for d, v in DISEASES.items()},
    log:
        f"{RESULTS}/logs/qc.log",
    benchmark:
        f"{RESULTS}/benchmarks/qc.tsv"
    threads: 2
    resources:
        mem_mb=scaled("qc", "mem_mb"),
        runtime=scaled("qc", "runtime"),
    conda:
        "../../envs/plink2.yaml"
    script:
        "../scripts/qc.py"

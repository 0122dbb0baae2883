# GWAS on the training split only: plink2 --glm logistic (gwas.firth mode) with covariates; the table
# is renamed to the one fixed name GWAS_GLM (snpgen.paths) whatever plink2 calls it.


rule gwas:
    input:
        bed=f"{QC_BFILE}.bed",
        bim=f"{QC_BFILE}.bim",
        fam=f"{QC_BFILE}.fam",
        train=f"{RESULTS}/{{disease}}/split/train.ids",
        pheno=f"{RESULTS}/{{disease}}/split/pheno.tsv",
        covariates=f"{RESULTS}/qc/covariates.tsv",
    output:
        glm=GWAS_GLM_PATH,
        summary=f"{RESULTS}/{{disease}}/gwas/gwas_summary.json",
    params:
        covariates=GWAS_COVARIATES,
        firth=config["gwas"]["firth"],
    log:
        f"{RESULTS}/logs/{{disease}}/gwas.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{disease}}/gwas.tsv"
    threads: 2
    resources:
        mem_mb=scaled("gwas", "mem_mb"),
        runtime=scaled("gwas", "runtime"),
    conda:
        "../../envs/plink2.yaml"
    script:
        "../scripts/gwas.py"

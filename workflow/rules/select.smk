# GWAS-guided, LD-aware selection of the top K SNPs; one PLINK fileset per split for the models.


rule select_snps:
    input:
        bed=f"{QC_BFILE}.bed",
        bim=f"{QC_BFILE}.bim",
        fam=f"{QC_BFILE}.fam",
        glm=GWAS_GLM_PATH,
        train=f"{RESULTS}/{{disease}}/split/train.ids",
        val=f"{RESULTS}/{{disease}}/split/val.ids",
        test=f"{RESULTS}/{{disease}}/split/test.ids",
        pheno=f"{RESULTS}/{{disease}}/split/pheno.tsv",
        truth=TRUTH or [],
    output:
        snps=f"{RESULTS}/{{disease}}/selection/snps.txt",
        summary=f"{RESULTS}/{{disease}}/selection/selection_summary.json",
        filesets=multiext(f"{RESULTS}/{{disease}}/selection/train", ".bed", ".bim", ".fam")
        + multiext(f"{RESULTS}/{{disease}}/selection/val", ".bed", ".bim", ".fam")
        + multiext(f"{RESULTS}/{{disease}}/selection/test", ".bed", ".bim", ".fam"),
    params:
        k=lambda wc: DISEASES[wc.disease]["n_snps"],
        selection=config["selection"],
    log:
        f"{RESULTS}/logs/{{disease}}/select_snps.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{disease}}/select_snps.tsv"
    threads: 2
    resources:
        mem_mb=scaled("select_snps", "mem_mb"),
        runtime=scaled("select_snps", "runtime"),
    conda:
        "../../envs/plink2.yaml"
    script:
        "../scripts/select_snps.py"

# PLINK 2, VCF/BCF, BGEN or per-chromosome inputs converted (and merged) by plink2, once, into the
# PLINK 1 fileset QC reads; after the header checks of validate_inputs. Not used for one PLINK 1 fileset.


rule import_genotypes:
    input:
        validated=f"{RESULTS}/inputs/validated.json",
        genotypes=GENOTYPE_FILES,
    output:
        bed=f"{IMPORTED_BFILE}.bed",
        bim=f"{IMPORTED_BFILE}.bim",
        fam=f"{IMPORTED_BFILE}.fam",
        summary=IMPORT_SUMMARY,
    params:
        source=GENOTYPE_SOURCE,
        cohort=COHORT,
    log:
        f"{RESULTS}/logs/import_genotypes.log",
    benchmark:
        f"{RESULTS}/benchmarks/import_genotypes.tsv"
    threads: 2
    resources:
        mem_mb=4000,
        runtime=120,
    conda:
        "../../envs/plink2.yaml"
    script:
        "../scripts/import_genotypes.py"

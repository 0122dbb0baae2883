# Evaluation of each synthetic cohort (rule `evaluate`, per disease x generator), the classifiers
# every generator is compared with, fitted once (rule `utility_reference`, per disease), and the
# clumping + thresholding PRS baseline from the same training GWAS (rule `prs`, per disease).
# Metrics JSON layout: docs/metrics.md. Settings: config["evaluate"], thresholds: config["verdict"].

rule evaluate:
    input:
        train_bed=f"{RESULTS}/{{disease}}/selection/train.bed",
        train_bim=f"{RESULTS}/{{disease}}/selection/train.bim",
        train_fam=f"{RESULTS}/{{disease}}/selection/train.fam",
        test_bed=f"{RESULTS}/{{disease}}/selection/test.bed",
        test_bim=f"{RESULTS}/{{disease}}/selection/test.bim",
        test_fam=f"{RESULTS}/{{disease}}/selection/test.fam",
        syn_bed=f"{RESULTS}/{{disease}}/synthetic/{{gen}}.bed",
        syn_bim=f"{RESULTS}/{{disease}}/synthetic/{{gen}}.bim",
        syn_fam=f"{RESULTS}/{{disease}}/synthetic/{{gen}}.fam",
        baseline=baseline_fileset,
        gwas=GWAS_GLM_PATH,
        truth=TRUTH or [],
        reference_fits=utility_reference_fits,
    output:
        json=f"{RESULTS}/{{disease}}/metrics/{{gen}}.json",
        figures=directory(f"{RESULTS}/{{disease}}/metrics/figures/{{gen}}"),
    wildcard_constraints:
        gen="|".join(GENERATORS),
    params:
        evaluate=config["evaluate"],
        verdict=config["verdict"],
        # the leaky calibration reference: privacy metrics only (utility/fidelity skipped)
        privacy_only=lambda wc: wc.gen in PRIVACY_ONLY_GENERATORS,
        # the baseline's own job: its TSTR fit is the reference fit of utility_reference
        synthetic_is_reference=lambda wc: wc.gen == "baseline",
        # one seed per disease, shared by the generators: the same real subsamples for each
        seed=lambda wc: stage_seed(SEED, "evaluate", wc.disease),
    log:
        f"{RESULTS}/logs/{{disease}}/evaluate.{{gen}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{disease}}/evaluate.{{gen}}.tsv"
    threads: 2
    resources:
        mem_mb=scaled("evaluate", "mem_mb"),
        runtime=scaled("evaluate", "runtime"),
    conda:
        "../../envs/python.yaml"
    script:
        "../scripts/evaluate.py"


rule utility_reference:
    input:
        train_bed=f"{RESULTS}/{{disease}}/selection/train.bed",
        train_bim=f"{RESULTS}/{{disease}}/selection/train.bim",
        train_fam=f"{RESULTS}/{{disease}}/selection/train.fam",
        test_bed=f"{RESULTS}/{{disease}}/selection/test.bed",
        test_bim=f"{RESULTS}/{{disease}}/selection/test.bim",
        test_fam=f"{RESULTS}/{{disease}}/selection/test.fam",
        baseline=expand(f"{RESULTS}/{{{{disease}}}}/synthetic/baseline.{{ext}}", ext=("bed", "bim", "fam")),
    output:
        # test-set predictions of real held-out people: an intermediate, never in a report
        fits=f"{RESULTS}/{{disease}}/metrics/utility_reference.npz",
    params:
        evaluate=config["evaluate"],
        seed=lambda wc: stage_seed(SEED, "evaluate", wc.disease),
    log:
        f"{RESULTS}/logs/{{disease}}/utility_reference.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{disease}}/utility_reference.tsv"
    threads: 2
    resources:
        mem_mb=scaled("evaluate", "mem_mb"),
        runtime=scaled("evaluate", "runtime"),
    conda:
        "../../envs/python.yaml"
    script:
        "../scripts/evaluate.py"


rule prs:
    input:
        cohort_bed=f"{QC_BFILE}.bed",
        cohort_bim=f"{QC_BFILE}.bim",
        cohort_fam=f"{QC_BFILE}.fam",
        covariates=f"{RESULTS}/qc/covariates.tsv",
        train_ids=f"{RESULTS}/{{disease}}/split/train.ids",
        val_ids=f"{RESULTS}/{{disease}}/split/val.ids",
        test_ids=f"{RESULTS}/{{disease}}/split/test.ids",
        pheno=f"{RESULTS}/{{disease}}/split/pheno.tsv",
        gwas=GWAS_GLM_PATH,
    output:
        json=f"{RESULTS}/{{disease}}/metrics/prs.json",
    params:
        evaluate=config["evaluate"],
        seed=lambda wc: stage_seed(SEED, "evaluate", wc.disease),
    log:
        f"{RESULTS}/logs/{{disease}}/prs.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{disease}}/prs.tsv"
    threads: 2
    resources:
        mem_mb=scaled("prs", "mem_mb"),
        runtime=scaled("prs", "runtime"),
    conda:
        "../../envs/python.yaml"
    script:
        "../scripts/evaluate.py"

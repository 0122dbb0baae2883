# Synthetic cohorts per disease: the model in "matched" (training or configured case fraction)
# and "augmented" (balanced) modes, the trivial per-class allele-frequency baseline and the leaky
# calibration reference of the privacy attacks (copies of training records; never for release).
# The read-out temperature, lag gain and per-SNP genotype offsets are calibrated once per model
# (calibrate_readout) and used by both modes.


rule calibrate_readout:
    input:
        vae=f"{RESULTS}/{{disease}}/model/vae.pt",
        diffusion=f"{RESULTS}/{{disease}}/model/diffusion.pt",
        train=f"{RESULTS}/{{disease}}/selection/train.bed",
        bim=f"{RESULTS}/{{disease}}/selection/train.bim",
    output:
        readout=f"{RESULTS}/{{disease}}/model/readout.json",
    params:
        sampling=config["sampling"],
        seed=lambda wc: stage_seed(SEED, "calibrate_readout", wc.disease),
        ld_window=config["evaluate"]["ld_window"],
        hwe_p=config["evaluate"]["hwe_p"],
        device=config["device"],
    log:
        f"{RESULTS}/logs/{{disease}}/calibrate_readout.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{disease}}/calibrate_readout.tsv"
    threads: 2
    resources:
        mem_mb=scaled("sample_cohort", "mem_mb"),
        runtime=scaled("sample_cohort", "runtime"),
        gpu=1,
    conda:
        "../../envs/torch.yaml"
    script:
        "../scripts/calibrate_readout.py"


rule sample_cohort:
    input:
        vae=f"{RESULTS}/{{disease}}/model/vae.pt",
        diffusion=f"{RESULTS}/{{disease}}/model/diffusion.pt",
        train=f"{RESULTS}/{{disease}}/selection/train.bed",
        bim=f"{RESULTS}/{{disease}}/selection/train.bim",
        readout=f"{RESULTS}/{{disease}}/model/readout.json",
    output:
        bed=f"{RESULTS}/{{disease}}/synthetic/{{mode}}.bed",
        bim=f"{RESULTS}/{{disease}}/synthetic/{{mode}}.bim",
        fam=f"{RESULTS}/{{disease}}/synthetic/{{mode}}.fam",
        pheno=f"{RESULTS}/{{disease}}/synthetic/{{mode}}.pheno.tsv",
    wildcard_constraints:
        mode="matched|augmented",
    params:
        n=lambda wc: DISEASES[wc.disease]["synthetic_n"],
        case_fraction=lambda wc: 0.5 if wc.mode == "augmented" else matched_case_fraction(wc),
        mode=lambda wc: wc.mode,
        sampling=config["sampling"],
        seed=lambda wc: stage_seed(SEED, f"sample_{wc.mode}", wc.disease),
        device=config["device"],
    log:
        f"{RESULTS}/logs/{{disease}}/sample_cohort.{{mode}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{disease}}/sample_cohort.{{mode}}.tsv"
    threads: 2
    resources:
        mem_mb=scaled("sample_cohort", "mem_mb"),
        runtime=scaled("sample_cohort", "runtime"),
        gpu=1,
    conda:
        "../../envs/torch.yaml"
    script:
        "../scripts/sample_cohort.py"


rule sample_baseline:
    input:
        train=f"{RESULTS}/{{disease}}/selection/train.bed",
    output:
        bed=f"{RESULTS}/{{disease}}/synthetic/baseline.bed",
        bim=f"{RESULTS}/{{disease}}/synthetic/baseline.bim",
        fam=f"{RESULTS}/{{disease}}/synthetic/baseline.fam",
        pheno=f"{RESULTS}/{{disease}}/synthetic/baseline.pheno.tsv",
    params:
        n=lambda wc: DISEASES[wc.disease]["synthetic_n"],
        case_fraction=matched_case_fraction,
        seed=lambda wc: stage_seed(SEED, "sample_baseline", wc.disease),
    log:
        f"{RESULTS}/logs/{{disease}}/sample_baseline.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{disease}}/sample_baseline.tsv"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        "../../envs/torch.yaml"
    script:
        "../scripts/sample_baseline.py"


rule sample_leaky:
    input:
        train=f"{RESULTS}/{{disease}}/selection/train.bed",
    output:
        bed=f"{RESULTS}/{{disease}}/synthetic/leaky.bed",
        bim=f"{RESULTS}/{{disease}}/synthetic/leaky.bim",
        fam=f"{RESULTS}/{{disease}}/synthetic/leaky.fam",
        pheno=f"{RESULTS}/{{disease}}/synthetic/leaky.pheno.tsv",
    params:
        n=lambda wc: DISEASES[wc.disease]["synthetic_n"],
        share=config["evaluate"]["leaky_resample_share"],
        seed=lambda wc: stage_seed(SEED, "sample_leaky", wc.disease),
    log:
        f"{RESULTS}/logs/{{disease}}/sample_leaky.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{disease}}/sample_leaky.tsv"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        "../../envs/torch.yaml"
    script:
        "../scripts/sample_leaky.py"

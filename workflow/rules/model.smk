# Two-stage model per disease: a phenotype-supervised VAE, then a DDPM on its latent space.
# Both are GPU-tagged (resources: gpu=1, the one GPU resource: profiles/slurm sends it as
# --gpus=1, profiles/slurm-gres as --gres=gpu:1); on a
# machine without CUDA they run on the CPU with the same code path.


rule train_vae:
    input:
        train=f"{RESULTS}/{{disease}}/selection/train.bed",
        val=f"{RESULTS}/{{disease}}/selection/val.bed",
    output:
        ckpt=f"{RESULTS}/{{disease}}/model/vae.pt",
        history=f"{RESULTS}/{{disease}}/model/vae_history.tsv",
        curve=f"{RESULTS}/{{disease}}/model/vae_curve.png",
    params:
        vae=config["model"]["vae"],
        clusters={k: config["model"]["diffusion"][k] for k in ("ancestry_clusters", "cluster_pcs", "cluster_min_size",
                                                                    "cluster_eigen_ratio")},
        seed=lambda wc: stage_seed(SEED, "train_vae", wc.disease),
        config_hash=MODEL_CONFIG_HASH,
        device=config["device"],
    log:
        f"{RESULTS}/logs/{{disease}}/train_vae.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{disease}}/train_vae.tsv"
    threads: 2
    resources:
        mem_mb=scaled("train_vae", "mem_mb"),
        runtime=scaled("train_vae", "runtime"),
        gpu=1,
    conda:
        "../../envs/torch.yaml"
    script:
        "../scripts/train_vae.py"


rule train_diffusion:
    input:
        vae=f"{RESULTS}/{{disease}}/model/vae.pt",
        train=f"{RESULTS}/{{disease}}/selection/train.bed",
    output:
        ckpt=f"{RESULTS}/{{disease}}/model/diffusion.pt",
        history=f"{RESULTS}/{{disease}}/model/diffusion_history.tsv",
        curve=f"{RESULTS}/{{disease}}/model/diffusion_curve.png",
    params:
        diffusion=config["model"]["diffusion"],
        seed=lambda wc: stage_seed(SEED, "train_diffusion", wc.disease),
        config_hash=MODEL_CONFIG_HASH,
        device=config["device"],
    log:
        f"{RESULTS}/logs/{{disease}}/train_diffusion.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{disease}}/train_diffusion.tsv"
    threads: 2
    resources:
        mem_mb=scaled("train_diffusion", "mem_mb"),
        runtime=scaled("train_diffusion", "runtime"),
        gpu=1,
    conda:
        "../../envs/torch.yaml"
    script:
        "../scripts/train_diffusion.py"

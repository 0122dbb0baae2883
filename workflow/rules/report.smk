# Shareable outputs: one self-contained HTML report per disease, an index page, and a final scan
# of every shareable output for real sample IDs. Include after evaluate.smk (uses GENERATORS
# when defined). Report pages and key figures are registered for `snakemake --report report.zip`.
#
# Inputs of render_report: the core outputs (QC, split, GWAS, selection) always; the model
# histories, metrics JSON and PRS JSON when a rule of this workflow produces them (train_vae,
# train_diffusion, evaluate, prs) or the file already exists. Missing optional inputs are not an
# error: the page says "Not available" for them and lists them in a banner.

import os as _report_os

REPORT_GENERATORS = list(globals().get("GENERATORS", ["matched", "augmented", "baseline"]))
REPORT_DIR = f"{RESULTS}/reports"


def _report_optional(path, rule_name):
    """[path] when rule `rule_name` is part of this workflow (evaluated at DAG time, after every
    include) or the file already exists; [] otherwise."""
    return [path] if (hasattr(rules, rule_name) or _report_os.path.exists(path)) else []


def _report_inputs(wc):
    d = wc.disease
    ins = {
        "qc": f"{RESULTS}/qc/qc_summary.json",
        "validated": f"{RESULTS}/inputs/validated.json",
        "split": f"{RESULTS}/{d}/split/split_summary.json",
        "gwas": f"{RESULTS}/{d}/gwas/gwas_summary.json",
        "glm": f"{RESULTS}/{d}/gwas/gwas.PHENO.glm.logistic.hybrid",
        "selection": f"{RESULTS}/{d}/selection/selection_summary.json",
        "snps": f"{RESULTS}/{d}/selection/snps.txt",
        "vae_history": _report_optional(f"{RESULTS}/{d}/model/vae_history.tsv", "train_vae"),
        "vae_curve": _report_optional(f"{RESULTS}/{d}/model/vae_curve.png", "train_vae"),
        "diffusion_history": _report_optional(f"{RESULTS}/{d}/model/diffusion_history.tsv", "train_diffusion"),
        "diffusion_curve": _report_optional(f"{RESULTS}/{d}/model/diffusion_curve.png", "train_diffusion"),
        "prs": _report_optional(f"{RESULTS}/{d}/metrics/prs.json", "prs"),
    }
    for gen in REPORT_GENERATORS:
        ins[f"metrics_{gen}"] = _report_optional(f"{RESULTS}/{d}/metrics/{gen}.json", "evaluate")
        # the figures directory is the same job's output; only declare it when the JSON is declared
        ins[f"figures_{gen}"] = (
            [f"{RESULTS}/{d}/metrics/figures/{gen}"] if ins[f"metrics_{gen}"] else []
        )
    return ins


def _report_seeds(wc):
    d = wc.disease
    seeds = {"master (config seed)": SEED}
    if DEMO:
        seeds["simulate"] = stage_seed(SEED, "simulate")
    for stage in ("split", "train_vae", "train_diffusion", "sample_matched", "sample_augmented",
                  "sample_baseline", "evaluate"):
        seeds[stage] = stage_seed(SEED, stage, d)
    return seeds


def _report_metrics_files(wc):
    out = []
    for d in DISEASES:
        for gen in REPORT_GENERATORS:
            out += _report_optional(f"{RESULTS}/{d}/metrics/{gen}.json", "evaluate")
        out += _report_optional(f"{RESULTS}/{d}/metrics/prs.json", "prs")
    return out


rule render_report:
    input:
        unpack(_report_inputs),
    output:
        html=report(
            f"{REPORT_DIR}/{{disease}}.html",
            caption="../report/disease_report.rst",
            category="Disease reports",
            subcategory="{disease}",
            labels={"disease": "{disease}", "page": "full report (self-contained HTML)"},
        ),
        figures=report(
            directory(f"{REPORT_DIR}/{{disease}}"),
            patterns=["{name}.png"],
            caption="../report/key_figures.rst",
            category="Key figures",
            subcategory="{disease}",
            labels={"disease": "{disease}", "figure": "{name}"},
        ),
        verdict=f"{REPORT_DIR}/{{disease}}.verdict.json",
    params:
        # the results directory, from the QC summary's path (results/qc/qc_summary.json)
        results=lambda wc, input: _report_os.path.dirname(_report_os.path.dirname(input.qc)),
        generators=REPORT_GENERATORS,
        config_hash=CONFIG_HASH,
        seeds=_report_seeds,
        demo=DEMO,
    log:
        f"{RESULTS}/logs/{{disease}}/render_report.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{disease}}/render_report.tsv"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=20,
    conda:
        "../../envs/python.yaml"
    script:
        "../scripts/render_report.py"


rule render_index:
    input:
        verdicts=expand(f"{REPORT_DIR}/{{disease}}.verdict.json", disease=sorted(DISEASES)),
        pages=expand(f"{REPORT_DIR}/{{disease}}.html", disease=sorted(DISEASES)),
    output:
        index=report(
            f"{REPORT_DIR}/index.html",
            caption="../report/index.rst",
            category="Disease reports",
            subcategory="index",
            labels={"disease": "all", "page": "index"},
        ),
    params:
        config_hash=CONFIG_HASH,
    log:
        f"{RESULTS}/logs/render_index.log",
    benchmark:
        f"{RESULTS}/benchmarks/render_index.tsv"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    conda:
        "../../envs/python.yaml"
    script:
        "../scripts/render_index.py"


# Runs in the Snakemake process (run:, standard library only), hence no conda env.
# Fails -- and Snakemake removes leak_scan.json -- when a real FID/IID appears in any shareable
# output; the log names the files (never the IDs).
rule scan_shareable_outputs:
    input:
        fam=f"{COHORT_BFILE}.fam",
        index=f"{REPORT_DIR}/index.html",
        pages=expand(f"{REPORT_DIR}/{{disease}}.html", disease=sorted(DISEASES)),
        verdicts=expand(f"{REPORT_DIR}/{{disease}}.verdict.json", disease=sorted(DISEASES)),
        summaries=[f"{RESULTS}/qc/qc_summary.json"]
        + expand(
            f"{RESULTS}/{{disease}}/{{step}}/{{step}}_summary.json",
            disease=sorted(DISEASES),
            step=["split", "gwas"],
        )
        + expand(f"{RESULTS}/{{disease}}/selection/selection_summary.json", disease=sorted(DISEASES)),
        metrics=_report_metrics_files,
    output:
        report(
            f"{REPORT_DIR}/leak_scan.json",
            caption="../report/leak_scan.rst",
            category="Disease reports",
            subcategory="leak scan",
            labels={"disease": "all", "page": "leak scan (JSON)"},
        ),
    params:
        results=lambda wc, input: _report_os.path.dirname(_report_os.path.dirname(input.summaries[0])),
    log:
        f"{RESULTS}/logs/scan_shareable_outputs.log",
    benchmark:
        f"{RESULTS}/benchmarks/scan_shareable_outputs.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=20,
    run:
        from snpgen.report.leakscan import run_scan_rule

        run_scan_rule(
            results=params.results,
            fam=input.fam,
            extra=list(input.pages) + [input.index],
            out_json=output[0],
            log_path=log[0],
        )


localrules:
    render_report,
    render_index,
    scan_shareable_outputs,

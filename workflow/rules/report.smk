# Shareable outputs: one self-contained HTML report per disease, an index page, and a final scan
# of every shareable output for real sample IDs. Report pages and key figures are registered for
# `snakemake --report report.zip`. Input functions live in common.smk.

rule render_report:
    input:
        unpack(report_inputs),
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
        # the named inputs (report_inputs) go to snpgen.report.render as they are: no paths rebuilt there
        generators=GENERATORS,
        config_hash=CONFIG_HASH,
        seeds=report_seeds,
        demo=DEMO,
        sampling=config["sampling"],
        min_count=MIN_CELL_COUNT,
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
        min_count=MIN_CELL_COUNT,
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
        metrics=expand(f"{RESULTS}/{{disease}}/metrics/{{gen}}.json", disease=sorted(DISEASES), gen=GENERATORS)
        + expand(f"{RESULTS}/{{disease}}/metrics/prs.json", disease=sorted(DISEASES)),
    output:
        report(
            f"{REPORT_DIR}/leak_scan.json",
            caption="../report/leak_scan.rst",
            category="Disease reports",
            subcategory="leak scan",
            labels={"disease": "all", "page": "leak scan (JSON)"},
        ),
    params:
        results=lambda wc, input: str(Path(input.summaries[0]).parents[1]),
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

# snpgen: phenotype-supervised synthetic genotype cohorts (two-stage conditional latent diffusion).
# Entry point: configuration + schema validation, the rule files, and the default target.
import os

from snakemake.utils import min_version

min_version("9.0")


# The working directory's config/config.yaml (a clone, or a snakedeploy deployment), else the
# bundled demo config: `snakemake -s /path/to/snpgen/Snakefile --directory /elsewhere` works.
configfile: "config/config.yaml" if os.path.exists("config/config.yaml") else os.path.join(workflow.basedir, "config/config.yaml")


include: "workflow/rules/common.smk"
include: "workflow/rules/simulate.smk"
include: "workflow/rules/validate.smk"
include: "workflow/rules/import.smk"
include: "workflow/rules/qc.smk"
include: "workflow/rules/split.smk"
include: "workflow/rules/gwas.smk"
include: "workflow/rules/select.smk"
include: "workflow/rules/model.smk"
include: "workflow/rules/sample.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/report.smk"


# The jobs' image with --sdm apptainer (containers/Dockerfile or containers/snpgen.def; config
# key `container`); ignored otherwise.
container: bundled(config["container"])


localrules:
    all,


rule all:
    input:
        all_targets(),
    default_target: True

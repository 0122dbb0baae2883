# Configuration, validated against workflow/schemas/ before any job runs; paths shared by all rules.
import os
import sys
from pathlib import Path

# The snpgen checkout, found from this file (workflow/rules/common.smk) -- not from
# workflow.basedir, which is the *calling* Snakefile's folder when snpgen is used as a module.
# None when the workflow is read from a remote source (then snpgen must be pip-installed).
_here = workflow.current_basedir.get_path_or_uri(secret_free=False)
WORKFLOW_ROOT = None if "://" in str(_here) else Path(_here).resolve().parents[1]
if WORKFLOW_ROOT is not None:
    sys.path.insert(0, str(WORKFLOW_ROOT / "workflow"))

from snpgen.config import ConfigError, check_config, cohort_covariates, config_hash, is_demo, load_diseases, stage_seed
from snpgen.paths import GWAS_GLM
from snpgen.sources import GenotypeSource, InputError, check_present, genotype_source, source_files
from snpgen import resources as _resources



def _config_origins():
    """(file, raw dict) in the order Snakemake merged them, so an error names the right file."""
    import yaml

    # the Snakefile's `configfile:` first, then --configfile overlays (Snakemake lists the overlays
    # first in workflow.configfiles but merges them over the Snakefile's file)
    cli = [str(f) for f in workflow.config_settings.configfiles]
    files = [str(f) for f in workflow.configfiles[len(cli):]] + cli
    origins = []
    for f in files:
        try:
            origins.append((f, yaml.safe_load(Path(f).read_text()) or {}))
        except (OSError, yaml.YAMLError):
            pass
    if workflow.config_settings.config:
        origins.append(("--config", dict(workflow.config_settings.config)))
    return origins


def bundled(path):
    """A relative path from the config (diseases_file, cohort.demo_params, container): the
    working directory's file when there is one, else the copy bundled with the workflow
    (workflow.source_path, so `snakemake --directory /elsewhere`, `-s /path/to/Snakefile` and
    module use all find config/diseases.yaml and resources/demo_cohort.yaml). Absolute paths,
    URLs and files found nowhere are returned unchanged (errors then name the configured path).
    The config itself keeps the configured text, so the config hashes do not depend on where
    the workflow is installed."""
    if path is None or os.path.isabs(path) or "://" in path or os.path.exists(path):
        return path
    if WORKFLOW_ROOT is not None:
        found = str(WORKFLOW_ROOT / path)
    else:  # remote module: Snakemake's source cache holds a copy
        try:
            found = str(workflow.source_path(f"../../{path}"))
        except Exception:
            return path
    return found if os.path.exists(found) else path


try:
    _checked = check_config(config, origins=_config_origins())
    config.clear()
    config.update(_checked)
    DISEASES_FILE = bundled(config["diseases_file"])
    DISEASES = load_diseases(DISEASES_FILE)
except ConfigError as _err:
    raise WorkflowError(str(_err)) from None

RESULTS = config["results"].rstrip("/")
SEED = config["seed"]
# (where the software comes from -- the `container` image -- is not part of what a result means)
DEPLOYMENT_KEYS = ("container",)
CONFIG_HASH = config_hash({k: v for k, v in config.items() if k not in DEPLOYMENT_KEYS}, DISEASES)
# What the trained models depend on: changing sampling, evaluation or verdict settings must not
# retrain them (their checkpoints record this hash; reports show the full CONFIG_HASH).
MODEL_SECTIONS = ("seed", "device", "cohort", "qc", "split", "gwas", "selection", "model")
# The diseases' phenotype and selection settings, without the synthetic cohort's size and case
# fraction (which only the sampling rules need).
DISEASE_DEFS = {d: {k: v for k, v in e.items() if not k.startswith("synthetic_")} for d, e in DISEASES.items()}
MODEL_CONFIG_HASH = config_hash({k: config[k] for k in MODEL_SECTIONS}, DISEASE_DEFS)
DEMO = is_demo(config)
COHORT = config["cohort"]

DEMO_PARAMS = bundled(COHORT["demo_params"])

if DEMO:
    GENOTYPES = GenotypeSource("bfile", (f"{RESULTS}/cohort/cohort",))
    PHENOTYPES = f"{RESULTS}/cohort/phenotypes.tsv"
    TRUTH = f"{RESULTS}/cohort/truth.json"
else:
    try:  # concrete files ({chrom} patterns expanded), each present, before any job
        GENOTYPES = genotype_source(COHORT)
        check_present(GENOTYPES)
    except InputError as _err:
        raise WorkflowError(str(_err)) from None
    PHENOTYPES = COHORT["phenotypes"]
    TRUTH = None
# the files the input checks read; the PLINK 1 fileset QC reads: the configured one, or the one
# the import_genotypes rule converts (and merges) from a PLINK 2 / VCF / BGEN / per-chromosome input
GENOTYPE_FILES = source_files(GENOTYPES)
GENOTYPE_SOURCE = GENOTYPES.as_dict()
IMPORTED_BFILE = f"{RESULTS}/cohort/imported"
IMPORT_SUMMARY = f"{RESULTS}/cohort/import_summary.json"
COHORT_BFILE = IMPORTED_BFILE if GENOTYPES.needs_import else GENOTYPES.parts[0]

COVARIATES = cohort_covariates(COHORT)
GWAS_COVARIATES = COVARIATES + [f"PC{i}" for i in range(1, config["gwas"]["n_pcs"] + 1)]
SPLITS = ["train", "val", "test"]
# counts of real people below this are suppressed ("<N") in every shareable output and message
MIN_CELL_COUNT = config["evaluate"]["min_cell_count"]
# the model's two modes, the trivial baseline (the "safe" end of the attack scale) and the leaky
# calibration reference (copies of training records: the "leaky" end; privacy only, never for release)
GENERATORS = ["matched", "augmented", "baseline", "leaky"]
PRIVACY_ONLY_GENERATORS = ["leaky"]
REPORT_DIR = f"{RESULTS}/reports"
QC_BFILE = f"{RESULTS}/qc/cohort"
GWAS_GLM_PATH = f"{RESULTS}/{{disease}}/gwas/{GWAS_GLM}"  # plink2 --glm table, one name for every gwas.firth


wildcard_constraints:
    disease="|".join(sorted(DISEASES)),
    split="train|val|test",


def cohort_workload(step):
    """The size the heavy rules' resources grow with (snpgen.resources): the cohort fileset's people
    and variants; the demo parameters for the simulation, and for every rule while the demo
    cohort does not exist yet (Snakemake evaluates the resources again before it runs a job)."""
    dims = _resources.fileset_dims(COHORT_BFILE)
    if DEMO and (step == "simulate_cohort" or dims is None):
        import yaml

        return _resources.demo_workload(yaml.safe_load(Path(DEMO_PARAMS).read_text()))
    return _resources.Workload(*(dims or (0, 0)))


def scaled(step, key):
    """A resource callable: `key` (mem_mb or runtime) of the rule `step` from its input size and the retry
    attempt (formulas: snpgen.resources.ESTIMATES)."""

    def resource(wildcards, attempt, threads):
        disease = DISEASES.get(wildcards.get("disease")) if "disease" in wildcards.keys() else None
        work = _resources.rule_workload(cohort_workload(step), disease, config["model"],
                                        config["split"]["train"], threads, config["qc"])
        return _resources.estimate(step, work, attempt)[key]

    return resource


def all_targets():
    """Per-disease reports, the index, and the leak scan of every shareable output."""
    return [f"{RESULTS}/reports/{d}.html" for d in DISEASES] + [
        f"{RESULTS}/reports/index.html",
        f"{RESULTS}/reports/leak_scan.json",
    ]


def matched_case_fraction(wc):
    """Case fraction of the "matched" cohort (null in diseases.yaml = the training split's)."""
    return DISEASES[wc.disease]["synthetic_case_fraction"]


def baseline_fileset(wc):
    """The baseline's .bed/.bim/.fam, which the model's cohorts are compared with on the same test
    resamples (nothing for the baseline itself)."""
    if wc.gen == "baseline" or wc.gen in PRIVACY_ONLY_GENERATORS:
        return []
    return [f"{RESULTS}/{wc.disease}/synthetic/baseline.{ext}" for ext in ("bed", "bim", "fam")]


def utility_reference_fits(wc):
    """The disease's TRTR and baseline classifiers (rule utility_reference), for every generator that
    gets a utility section (nothing for the privacy-only calibration reference)."""
    if wc.gen in PRIVACY_ONLY_GENERATORS:
        return []
    return f"{RESULTS}/{wc.disease}/metrics/utility_reference.npz"


def report_inputs(wc):
    """Everything a disease's report summarises (aggregate outputs of every stage)."""
    d = wc.disease
    ins = {
        "qc": f"{RESULTS}/qc/qc_summary.json",
        "validated": f"{RESULTS}/inputs/validated.json",
        "split": f"{RESULTS}/{d}/split/split_summary.json",
        "gwas": f"{RESULTS}/{d}/gwas/gwas_summary.json",
        "glm": f"{RESULTS}/{d}/gwas/{GWAS_GLM}",
        "selection": f"{RESULTS}/{d}/selection/selection_summary.json",
        "snps": f"{RESULTS}/{d}/selection/snps.txt",
        "vae_history": f"{RESULTS}/{d}/model/vae_history.tsv",
        "vae_curve": f"{RESULTS}/{d}/model/vae_curve.png",
        "diffusion_history": f"{RESULTS}/{d}/model/diffusion_history.tsv",
        "diffusion_curve": f"{RESULTS}/{d}/model/diffusion_curve.png",
        "prs": f"{RESULTS}/{d}/metrics/prs.json",
        "readout": f"{RESULTS}/{d}/model/readout.json",
    }
    for gen in GENERATORS:
        ins[f"metrics_{gen}"] = f"{RESULTS}/{d}/metrics/{gen}.json"
        ins[f"figures_{gen}"] = f"{RESULTS}/{d}/metrics/figures/{gen}"
    return ins


def report_seeds(wc):
    """The seeds of every stage behind a disease's report (for its provenance block)."""
    seeds = {"master (config seed)": SEED}
    if DEMO:
        seeds["simulate"] = stage_seed(SEED, "simulate")
    for stage in ("split", "train_vae", "train_diffusion", "sample_matched", "sample_augmented",
                  "sample_baseline", "sample_leaky", "evaluate"):
        seeds[stage] = stage_seed(SEED, stage, wc.disease)
    return seeds

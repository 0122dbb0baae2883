# Configuration, validated against workflow/schemas/ before any job runs; paths shared by all rules.
import sys
from pathlib import Path

sys.path.insert(0, str(Path(workflow.basedir) / "workflow"))

from snpgen.config import ConfigError, check_config, config_hash, is_demo, load_diseases, stage_seed

try:
    _checked = check_config(config)
    config.clear()
    config.update(_checked)
    DISEASES = load_diseases(config["diseases_file"])
except ConfigError as _err:
    raise WorkflowError(str(_err)) from None

RESULTS = config["results"].rstrip("/")
SEED = config["seed"]
CONFIG_HASH = config_hash(config, DISEASES)
DEMO = is_demo(config)
COHORT = config["cohort"]

if DEMO:
    COHORT_BFILE = f"{RESULTS}/cohort/cohort"
    PHENOTYPES = f"{RESULTS}/cohort/phenotypes.tsv"
    TRUTH = f"{RESULTS}/cohort/truth.json"
else:
    COHORT_BFILE = COHORT["bfile"]
    PHENOTYPES = COHORT["phenotypes"]
    TRUTH = None

COVARIATES = ([COHORT["sex_column"]] if COHORT["sex_column"] else []) + list(COHORT["covariates"])
GWAS_COVARIATES = COVARIATES + [f"PC{i}" for i in range(1, config["gwas"]["n_pcs"] + 1)]
SPLITS = ["train", "val", "test"]
QC_BFILE = f"{RESULTS}/qc/cohort"


wildcard_constraints:
    disease="|".join(sorted(DISEASES)),
    split="train|val|test",


def all_targets():
    targets = [f"{RESULTS}/qc/qc_summary.json"]
    for d in DISEASES:
        targets += [
            f"{RESULTS}/{d}/gwas/gwas_summary.json",
            f"{RESULTS}/{d}/selection/selection_summary.json",
        ]
    return targets

"""Config and diseases files are validated against the JSON schemas, errors name file and key."""
from __future__ import annotations

import copy

import pytest
import yaml

from conftest import ROOT
from snpgen.config import ConfigError, check_config, load_diseases, stage_seed


def base_config():
    return yaml.safe_load((ROOT / "config" / "config.yaml").read_text())


def test_shipped_configs_are_valid():
    cfg = check_config(base_config())
    assert cfg["qc"]["maf"] == 0.01 and cfg["split"]["train"] == 0.7
    diseases = load_diseases(ROOT / "config" / "diseases.yaml")
    assert set(diseases) == {"cad", "t2d"}
    assert diseases["cad"]["n_snps"] == 1024


def test_defaults_are_filled():
    cfg = check_config({})
    assert cfg["results"] == "results"
    assert cfg["qc"]["king_cutoff"] == 0.0884
    assert cfg["cohort"]["bfile"] is None


@pytest.mark.parametrize("mutate, key", [
    (lambda c: c.update(bogus=1), "bogus"),
    (lambda c: c["qc"].update(mafx=0.1), "qc.mafx"),
    (lambda c: c["qc"].update(maf=0.9), "qc.maf"),
    (lambda c: c["qc"].update(maf="low"), "qc.maf"),
    (lambda c: c["split"].update(train=0.8), "split.train + split.val + split.test"),
    (lambda c: c.update(seed=-1), "seed"),
    (lambda c: c["gwas"].update(n_pcs=20), "gwas.n_pcs"),
    (lambda c: c["cohort"].update(bfile="x"), "cohort.bfile"),
])
def test_bad_config_names_the_key(mutate, key):
    cfg = copy.deepcopy(base_config())
    mutate(cfg)
    with pytest.raises(ConfigError) as err:
        check_config(cfg, source="config/config.yaml")
    assert "config/config.yaml" in str(err.value) and key in str(err.value)


def test_error_names_the_overlay_file_that_set_the_key():
    """--configfile config/config.yaml my.yaml --config ...: each error names the file its key came from."""
    base = base_config()
    overlay = {"qc": {"maf": 0.9}, "model": {"vae": {"epochs": 5}}}
    cli = {"model": {"vae": {"bogus": 1}}}
    merged = copy.deepcopy(base)
    merged["qc"]["maf"] = 0.9
    merged["model"] = {"vae": {"epochs": 5, "bogus": 1}}
    origins = [("config/config.yaml", base), ("my.yaml", overlay), ("--config", cli)]
    with pytest.raises(ConfigError) as err:
        check_config(merged, origins=origins)
    msg = str(err.value)
    assert "my.yaml: key qc.maf" in msg
    assert "--config: unknown key model.vae.bogus" in msg
    assert "config/config.yaml" not in msg
    # a cross-key rule names the file of the keys it combines
    merged = copy.deepcopy(base)
    merged["gwas"]["n_pcs"] = 20
    with pytest.raises(ConfigError, match=r"^over\.yaml \+ config/config\.yaml: key gwas\.n_pcs"):
        check_config(merged, origins=[("config/config.yaml", base), ("over.yaml", {"gwas": {"n_pcs": 20}})])


@pytest.mark.parametrize("entry, key", [
    ({"n_snps": 10}, "phenotype_column"),
    ({"phenotype_column": "x", "n_snps": 0}, "n_snps"),
    ({"phenotype_column": "x", "synthetic_case_fraction": 1.5}, "synthetic_case_fraction"),
    ({"phenotype_column": "x", "synthetic_n": -5}, "synthetic_n"),
    ({"phenotype_column": "x", "colour": "red"}, "colour"),
])
def test_bad_diseases_name_the_key(tmp_path, entry, key):
    path = tmp_path / "diseases.yaml"
    path.write_text(yaml.safe_dump({"cad": entry}))
    with pytest.raises(ConfigError) as err:
        load_diseases(path)
    assert str(path) in str(err.value) and key in str(err.value)


def test_stage_seeds_are_stable_and_distinct():
    assert stage_seed(1, "split", "cad") == stage_seed(1, "split", "cad")
    assert stage_seed(1, "split", "cad") != stage_seed(1, "split", "t2d")
    assert stage_seed(1, "split", "cad") != stage_seed(2, "split", "cad")


def test_config_readme_tables_match_the_schema():
    """config/README.md's key tables are generated from the schema (scripts/config_tables.py)."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    res = subprocess.run([sys.executable, str(root / "scripts" / "config_tables.py"), "--check"],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


def test_key_order_does_not_change_the_checked_config():
    """Reordering keys in config.yaml must give the same checked config, key order included
    (Snakemake compares rule params by their text; a reorder would otherwise rerun everything)."""
    import yaml

    from conftest import TEST_CONFIG

    raw = yaml.safe_load(TEST_CONFIG.read_text())
    shuffled = yaml.safe_load(yaml.safe_dump(raw, sort_keys=True))
    shuffled["cohort"] = dict(reversed(list(shuffled["cohort"].items())))
    a, b = check_config(raw), check_config(shuffled)
    assert a == b and repr(a) == repr(b)

"""Load and validate config.yaml and diseases.yaml against the JSON schemas.

Errors name the file and the key path (e.g. ``config/config.yaml: qc.maf: 0.9 is
greater than the maximum of 0.5``); defaults from the schema are filled in.
"""
from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from .defaults import SCHEMA_DIR
GENOTYPE_KEYS = ("bfile", "pfile", "vcf", "bgen")  # cohort.*: one of them, or none for the demo


class ConfigError(ValueError):
    """Invalid configuration; the message names the file and the key."""


def load_schema(name: str) -> dict:
    return yaml.safe_load((SCHEMA_DIR / name).read_text())


def _key_path(path) -> str:
    return ".".join(str(p) for p in path) or "(top level)"


def _fill_defaults(instance: Any, schema: dict) -> None:
    """Fill defaults from ``properties``/``additionalProperties`` recursively (in place)."""
    if not isinstance(instance, dict):
        return
    for key, sub in schema.get("properties", {}).items():
        if key not in instance and "default" in sub:
            instance[key] = copy.deepcopy(sub["default"])
        if key in instance:
            _fill_defaults(instance[key], sub)
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        for key, value in instance.items():
            if key not in schema.get("properties", {}):
                _fill_defaults(value, extra)


Origins = list[tuple[str, Any]]


def origin_of(origins: Origins | None, path, fallback: str) -> str:
    """The last of ``origins`` ((label, raw dict) in merge order) that sets the key ``path``.

    A run may merge several config files (``--configfile a.yaml b.yaml``, ``--config k=v``); an
    error names the one the offending key came from, else ``fallback``.
    """
    for label, raw in reversed(origins or []):
        d = raw
        for k in path:
            if not isinstance(d, dict) or k not in d:
                break
            d = d[k]
        else:
            return label
    return fallback


def validate(instance: Any, schema: dict, source: str, origins: Origins | None = None) -> Any:
    """Validate ``instance`` (filling defaults); raise ConfigError naming the file and the key.

    ``source`` names the file; with ``origins`` (see :func:`origin_of`) each error names the file
    that set its key instead.
    """
    if instance is None:
        instance = {}
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    if errors:
        lines = []
        for err in errors:
            where = _key_path(err.absolute_path)
            src = origin_of(origins, list(err.absolute_path), source)
            if err.validator == "additionalProperties":
                extra = sorted(set(err.instance) - set(err.schema.get("properties", {})))
                keys = ", ".join(f"{where}.{k}" if err.absolute_path else k for k in extra)
                src = origin_of(origins, [*err.absolute_path, extra[0]], source) if extra else src
                lines.append(f"{src}: unknown key {keys} (allowed: {', '.join(err.schema.get('properties', {}))})")
            elif err.validator == "required":
                lines.append(f"{src}: {where}: {err.message}")
            else:
                lines.append(f"{src}: key {where}: {err.message}")
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(lines))
    instance = copy.deepcopy(instance)
    _fill_defaults(instance, schema)
    return canonical(instance)


def canonical(obj: Any) -> Any:
    """Dicts with their keys sorted, recursively (lists keep their order). Snakemake compares rule
    params by their text, so a config whose keys were merely reordered must not look changed."""
    if isinstance(obj, dict):
        return {k: canonical(obj[k]) for k in sorted(obj, key=str)}
    if isinstance(obj, list):
        return [canonical(v) for v in obj]
    return obj


def check_config(config: dict, source: str = "config/config.yaml", origins: Origins | None = None) -> dict:
    """Schema validation plus the cross-key rules a schema cannot express.

    ``origins``: the merged config files in order, as (label, raw dict), so that an error names
    the file its key came from (Snakefile passes ``--configfile`` overlays and ``--config``).
    """
    config = validate(config, load_schema("config.schema.yaml"), source, origins)

    def src(*paths: str) -> str:
        labels = [origin_of(origins, p.split("."), "") for p in paths]
        found = list(dict.fromkeys(x for x in labels if x))
        return " + ".join(found) or source

    split = config["split"]
    total = split["train"] + split["val"] + split["test"]
    if abs(total - 1.0) > 1e-6:
        raise ConfigError(
            f"{src('split.train', 'split.val', 'split.test')}: keys split.train + split.val + split.test "
            f"must sum to 1 (got {total:g})"
        )
    if config["gwas"]["n_pcs"] > config["qc"]["n_pcs"]:
        raise ConfigError(f"{src('gwas.n_pcs', 'qc.n_pcs')}: key gwas.n_pcs ({config['gwas']['n_pcs']}) exceeds "
                          f"qc.n_pcs ({config['qc']['n_pcs']})")
    cohort = config["cohort"]
    given = [f"cohort.{k}" for k in GENOTYPE_KEYS if cohort[k]]
    if len(given) > 1:
        raise ConfigError(f"{src(*given)}: keys {' and '.join(given)} are all set: set exactly one genotype input "
                          f"(cohort.bfile, cohort.pfile, cohort.vcf or cohort.bgen)")
    if bool(given) != (cohort["phenotypes"] is not None):
        key = given[0] if given else "cohort.bfile"
        raise ConfigError(f"{src(key, 'cohort.phenotypes')}: keys {key} and cohort.phenotypes "
                          "must both be set (own data) or both null (demo)")
    both = set(cohort["covariates"]) & set(cohort["categorical_covariates"])
    if both:
        raise ConfigError(f"{src('cohort.covariates', 'cohort.categorical_covariates')}: column(s) "
                          f"{', '.join(sorted(both))} listed both in cohort.covariates (numeric) and "
                          f"cohort.categorical_covariates")
    return config


def load_diseases(path: str | Path) -> dict:
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"diseases file {path} does not exist (config key diseases_file)")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    diseases = validate(raw, load_schema("diseases.schema.yaml"), str(path))
    return diseases


def cohort_covariates(cohort: dict) -> list[str]:
    """The covariate names of the phenotype table used in the GWAS, as the config names them: sex
    first (cohort.sex_column, or "sex" taken from the .fam when it is null), then
    ``cohort.covariates``, then ``cohort.categorical_covariates`` (one-hot encoded by QC)."""
    names = [cohort["sex_column"] or "sex", *cohort["covariates"], *cohort.get("categorical_covariates", [])]
    return list(dict.fromkeys(names))


def is_demo(config: dict) -> bool:
    """No genotype input configured: the demo cohort is simulated."""
    return not any(config["cohort"].get(k) for k in GENOTYPE_KEYS)


def config_hash(config: dict, diseases: dict) -> str:
    blob = json.dumps({"config": config, "diseases": diseases}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def stage_seed(seed: int, stage: str, disease: str = "") -> int:
    """A stable per-stage seed derived from the master seed (independent of Python's hash salt)."""
    digest = hashlib.sha256(f"{seed}:{stage}:{disease}".encode()).digest()
    return int.from_bytes(digest[:4], "little") & 0x7FFFFFFF

"""The package's defaults, read from the config schema (workflow/schemas/config.schema.yaml).

The schema is the one place a default is written, with its description: ``check_config`` fills
it into a run's config, and the modules that take a parameter dict read theirs from here
(``VAE_DEFAULTS = schema_defaults("model", "vae")`` and so on), so the two cannot drift apart.

Standard library + PyYAML only (no jsonschema, numpy or torch): a rule's script imports it
through the modules above, so every conda env of those rules needs nothing beyond ``pyyaml``.
The schema is found from this file's location (workflow/snpgen/ -> workflow/schemas/), which
holds for the test venv, the `script:` adapters (workflow/ on sys.path) and the containers.
"""
from __future__ import annotations

import copy
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"
CONFIG_SCHEMA = SCHEMA_DIR / "config.schema.yaml"


@lru_cache(maxsize=None)
def _load(path: str) -> dict:
    if not Path(path).is_file():
        raise FileNotFoundError(
            f"{path}: the config schema, which snpgen reads its defaults from, is not there. snpgen "
            "finds it next to the package (workflow/snpgen -> workflow/schemas): import snpgen from the "
            "workflow checkout (workflow/ on sys.path, as the rules' scripts do, or `pip install -e .`)")
    return yaml.safe_load(Path(path).read_text())


def schema_section(*keys: str, schema: str | Path = CONFIG_SCHEMA) -> dict:
    """The schema node of the config section ``keys`` (e.g. ``("model", "vae")``)."""
    node = _load(str(schema))
    for i, key in enumerate(keys):
        props = node.get("properties", {})
        if key not in props:
            where = ".".join(keys[:i]) or "(top level)"
            raise KeyError(f"{schema}: no key {key!r} under {where} (has: {', '.join(props)})")
        node = props[key]
    return node


def node_default(node: dict) -> Any:
    """What ``check_config`` fills in for an absent key of this schema node: its ``default``
    (deep-copied), an object's missing ``properties`` filled with theirs in turn (so a section
    with ``default: {}`` yields every property's default). A property without ``default`` is
    left out, as check_config leaves it out."""
    out = copy.deepcopy(node.get("default"))
    props = node.get("properties")
    if props and isinstance(out, dict):
        for key, sub in props.items():
            if key not in out and "default" in sub:
                out[key] = node_default(sub)
    return out


def schema_defaults(*keys: str, schema: str | Path = CONFIG_SCHEMA) -> dict:
    """Every property's default of the config section ``keys``, in the schema's order: a new dict
    each call (callers may change it). ``schema_defaults("sampling")`` == the ``sampling`` section
    that ``check_config({})`` gives, with its keys in schema order instead of sorted."""
    node = schema_section(*keys, schema=schema)
    if "properties" not in node:
        raise KeyError(f"{schema}: {'.'.join(keys)} is not a section (no properties)")
    return {k: node_default(sub) for k, sub in node["properties"].items() if "default" in sub}

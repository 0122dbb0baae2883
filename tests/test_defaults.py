"""One source of defaults: the config schema (issue 19).

Every key of workflow/schemas/config.schema.yaml has a default and a description; the package's
parameter dicts (VAE_DEFAULTS, ...) are not written out in Python but read from the schema by
snpgen.defaults, which needs only the standard library and PyYAML and finds the schema from its
own file, whatever the working directory.
"""
from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap

import pytest
import yaml

from conftest import ROOT
from snpgen.config import check_config
from snpgen.defaults import CONFIG_SCHEMA, schema_defaults, schema_section

PACKAGE = ROOT / "workflow" / "snpgen"

# public name -> (module file, module to import, config section)
PACKAGE_DEFAULTS = {
    "VAE_DEFAULTS": ("models/vae.py", "snpgen.models.vae", ("model", "vae")),
    "DIFFUSION_DEFAULTS": ("models/diffusion.py", "snpgen.models.diffusion", ("model", "diffusion")),
    "SAMPLING_DEFAULTS": ("sample.py", "snpgen.sample", ("sampling",)),
    "DEFAULT_EVALUATE": ("evaluate/__init__.py", "snpgen.evaluate", ("evaluate",)),
    "DEFAULT_THRESHOLDS": ("evaluate/verdict.py", "snpgen.evaluate.verdict", ("verdict",)),
}


def _properties(node: dict, path: str = ""):
    for key, sub in node.get("properties", {}).items():
        yield f"{path}{key}", sub
        yield from _properties(sub, f"{path}{key}.")


def test_every_schema_key_has_a_default_and_a_description():
    schema = yaml.safe_load(CONFIG_SCHEMA.read_text())
    keys = dict(_properties(schema))
    assert {"model.vae.lr", "model.diffusion.timesteps", "sampling.steps", "evaluate.n_pcs",
            "verdict.max_attack_auc"} <= set(keys)
    no_default = [k for k, sub in keys.items() if "default" not in sub]
    no_description = [k for k, sub in keys.items() if not str(sub.get("description") or "").strip()]
    assert not no_default, f"schema keys without a default: {no_default}"
    assert not no_description, f"schema keys without a description: {no_description}"


def _assigned_value(tree: ast.Module, name: str) -> ast.expr:
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == name:
            return node.value
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return node.value
    raise AssertionError(f"{name} is not assigned at module level")


@pytest.mark.parametrize("name", sorted(PACKAGE_DEFAULTS))
def test_package_defaults_are_read_from_the_schema(name):
    """Not a twin dict kept equal by hand: the module assigns schema_defaults(<its section>)."""
    path, _, section = PACKAGE_DEFAULTS[name]
    value = _assigned_value(ast.parse((PACKAGE / path).read_text()), name)
    assert isinstance(value, ast.Call) and getattr(value.func, "id", None) == "schema_defaults", (
        f"{path}: {name} must be schema_defaults{section}, not a literal (defaults live in the schema)")
    assert tuple(ast.literal_eval(a) for a in value.args) == section


def test_package_defaults_equal_the_filled_config():
    """What the package falls back on is what check_config fills into a run's config, types included
    (1.0 vs 1 changes the JSON that benchmarks/ablations.py and config_hash hash)."""
    import importlib

    cfg = check_config({})
    for name, (_, module, section) in PACKAGE_DEFAULTS.items():
        value = getattr(importlib.import_module(module), name)
        filled = cfg
        for key in section:
            filled = filled[key]
        assert json.dumps(value, sort_keys=True) == json.dumps(filled, sort_keys=True), name
        assert list(value) == list(schema_section(*section)["properties"]), f"{name}: keys in schema order"


def test_schema_defaults_reads_the_given_schema(tmp_path):
    schema = tmp_path / "s.yaml"
    schema.write_text(textwrap.dedent("""
        type: object
        properties:
          model:
            type: object
            default: {}
            properties:
              vae:
                type: object
                default: {}
                properties:
                  lr: {type: number, default: 0.5}
                  channels: {type: array, default: [1, 2]}
                  nested: {type: object, default: {b: 3}, properties: {a: {default: 1.0}, b: {default: 2}}}
                  unset: {type: object, default: null, properties: {a: {default: 1}}}
                  no_default: {type: integer}
    """))
    d = schema_defaults("model", "vae", schema=schema)
    assert d == {"lr": 0.5, "channels": [1, 2], "nested": {"b": 3, "a": 1.0}, "unset": None}
    assert isinstance(d["nested"]["a"], float)
    assert schema_defaults("model", schema=schema)["vae"] == d
    d["channels"].append(3)  # a fresh copy each call: callers may change it
    assert schema_defaults("model", "vae", schema=schema)["channels"] == [1, 2]
    with pytest.raises(KeyError, match="no key 'diffusion' under model"):
        schema_defaults("model", "diffusion", schema=schema)
    with pytest.raises(KeyError, match="not a section"):
        schema_defaults("model", "vae", "lr", schema=schema)


def test_defaults_module_is_light_and_finds_the_schema_from_anywhere(tmp_path):
    """The rules' scripts import snpgen from workflow/ (sys.path) in their own conda envs: the module
    must need only PyYAML (tests/test_envs.py checks the envs) and resolve the schema from its file."""
    code = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT / "workflow")!r})
        from snpgen.defaults import schema_defaults
        heavy = sorted(m for m in ("torch", "numpy", "jsonschema", "polars") if m in sys.modules)
        assert not heavy, heavy
        print(schema_defaults("sampling")["sampler"])
    """)
    res = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == check_config({})["sampling"]["sampler"]


@pytest.mark.parametrize("path, name, key", [("report/__init__.py", "MIN_COUNT", "min_cell_count"),
                                             ("evaluate/verdict.py", "STRUCTURE_N_PCS", "structure_n_pcs")])
def test_single_defaults_are_read_from_the_schema(path, name, key):
    """Module constants that stand for one schema default are schema_defaults("evaluate")[key]."""
    value = _assigned_value(ast.parse((PACKAGE / path).read_text()), name)
    assert ast.unparse(value) == f"schema_defaults('evaluate')['{key}']", f"{path}: {name} = {ast.unparse(value)}"

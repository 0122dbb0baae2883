"""The conda environments (envs/*.yaml) used with `--sdm conda` on HPC.

No conda can run on the test machines, so these checks are static:

* every env parses, uses conda-forge + bioconda + nodefaults, and pins every package
  to one exact version (python to its minor version);
* every Python library pinned in an env agrees with requirements.txt (the tested pip
  venv), mapping pip names to conda names (torch -> pytorch, ...), and every library is
  in requirements.txt at all -- except where conda-forge lacks the tested version
  (CONDA_DIFFERS, with the reason);
* every conda pin exists in the channels' published listings (CHANNEL_LISTINGS, copied
  from them), and a `pip:` section holds only versions that are on PyPI alone (PYPI_ONLY);
* every rule in workflow/rules/*.smk that runs something declares `conda:` and points at
  an existing envs/*.yaml;
* every third-party module a rule's script imports (following its `snpgen` imports, also
  those inside functions) is in that rule's env (conda or pip part), and a script whose
  code runs snpgen.plink has plink2 + PLINK 1.9 there;
* and the converse: an env holds nothing that none of its rules' scripts needs (pgenlib
  was pinned everywhere and imported nowhere).
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
ENVS = REPO / "envs"
RULES = REPO / "workflow" / "rules"
PKG_ROOT = REPO / "workflow"  # snpgen lives in workflow/snpgen (scripts add it to sys.path)
REQUIREMENTS = REPO / "requirements.txt"

CHANNELS = ["conda-forge", "bioconda", "nodefaults"]
# pip name (lower case) -> conda name, where they differ
PIP_TO_CONDA = {"torch": "pytorch", "matplotlib": "matplotlib-base"}
# import name -> conda name, where they differ
IMPORT_TO_CONDA = {
    "sklearn": "scikit-learn",
    "yaml": "pyyaml",
    "bed_reader": "bed-reader",
    "torch": "pytorch",
    "matplotlib": "matplotlib-base",
    "PIL": "pillow",
    "jinja2": "jinja2",
}
# modules that come with a pinned package as its own dependency (imported directly by
# snpgen, but not pinned separately): import name -> the package that brings it
IMPLIED_BY = {"threadpoolctl": "scikit-learn", "joblib": "scikit-learn"}
# conda packages that are not Python libraries from requirements.txt
NON_PIP = {"python", "pip", "plink2", "plink"}
# imports that need no conda package in the env (stdlib, the workflow's own package, and
# `snakemake`, whose object Snakemake injects into `script:` files)
PROVIDED = {"snpgen", "snakemake", "__future__"}
# pure-pip packages (requirements.txt) that no env needs: the workflow engine and test tools
# (jsonschema validates the config inside the Snakefile, i.e. in snakemake's own venv; no job
# imports it)
NOT_IN_ENVS = {"snakemake", "snakemake-executor-plugin-slurm", "pytest", "pytest-xdist", "execnet", "filelock",
               "playwright", "jsonschema"}

# The channels' published listings (conda-forge / bioconda, seen 2026-12): the newest version
# of each pinned package there, or the exact builds that exist. A conda pin must not be newer.
# Packages not listed here were not flagged as missing in the channels' listings.
CHANNEL_LISTINGS = {
    "plink2": ("bioconda", {"2.00a3.7", "2.0.0a6"}),  # also 2.0.0a6.x; no a3.5 (Debian's)
    "plink": ("bioconda", {"1.90b6.21"}),
    "pytorch": ("conda-forge", "2.12.1"),
    "polars": ("conda-forge", "1.41.2"),
    "bed-reader": ("conda-forge", "1.0.0"),
    "pgenlib": ("bioconda", "0.94.1"),
}
# versions that are on PyPI only (newer than the conda listing): the only packages allowed in
# a `pip:` section, at exactly the requirements.txt version
PYPI_ONLY = {"bed-reader", "polars"}
# conda pins that differ from requirements.txt because the channel lacks the tested version
CONDA_DIFFERS = {
    "pytorch": ("2.12.1", "conda-forge's newest; torch 2.13.0 (the pip venv's) is not there, "
                          "and the model code uses no 2.13-only API"),
}
# packages an env may hold although no script imports them: what they are for
NEEDED_WITHOUT_IMPORT = {
    "tskit": "msprime's tree sequences (simulate_cohort writes the VCF with TreeSequence.write_vcf)",
}

PIN_RE = re.compile(r"^(?P<name>[A-Za-z0-9_.\-]+)\s*(?P<op>==|=)\s*(?P<ver>[A-Za-z0-9_.+\-]+)$")

ENV_FILES = sorted(ENVS.glob("*.yaml"))


def load_env(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def conda_pins(env: dict) -> dict[str, str]:
    pins = {}
    for dep in env["dependencies"]:
        if isinstance(dep, str):
            m = PIN_RE.match(dep.strip())
            assert m, f"not pinned to one exact version: {dep!r}"
            pins[m["name"].lower()] = m["ver"]
    return pins


def pip_pins(env: dict) -> dict[str, str]:
    pins = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            for pdep in dep.get("pip", []):
                name, ver = pdep.split("==")
                pins[name.lower()] = ver
    return pins


def all_pins(env: dict) -> dict[str, str]:
    return {**conda_pins(env), **pip_pins(env)}


def vtuple(v: str) -> tuple:
    return tuple(int(x) if x.isdigit() else x for x in re.split(r"[.]", v))


def requirements() -> dict[str, str]:
    reqs = {}
    for line in REQUIREMENTS.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.match(r"^([A-Za-z0-9_.\-]+)(\[.*\])?==([^\s;]+)", line)
        assert m, f"requirements.txt line not pinned with ==: {line!r}"
        reqs[m[1].lower().replace("_", "-")] = m[3]
    return reqs


# ---------------------------------------------------------------------------------
# the env files themselves


def test_expected_envs_exist():
    assert {p.name for p in ENV_FILES} >= {"plink2.yaml", "torch.yaml", "python.yaml"}


@pytest.mark.parametrize("path", ENV_FILES, ids=lambda p: p.name)
def test_env_parses_and_pins_everything(path):
    env = load_env(path)
    assert isinstance(env, dict) and set(env) <= {"name", "channels", "dependencies"}, env
    assert env["channels"] == CHANNELS, "channels must be conda-forge, bioconda, nodefaults"
    deps = env["dependencies"]
    assert isinstance(deps, list) and deps
    for dep in deps:
        if isinstance(dep, dict):  # a pip: sub-list
            assert set(dep) == {"pip"}, dep
            for pdep in dep["pip"]:
                assert re.match(r"^[A-Za-z0-9_.\-]+==[A-Za-z0-9_.+\-]+$", pdep), \
                    f"pip dependency not pinned with ==: {pdep!r}"
        else:
            assert isinstance(dep, str), dep
            assert not re.search(r"[*<>,|]|\s", dep.replace(" ", "")), f"range/wildcard pin: {dep!r}"
    pins = conda_pins(env)
    assert "python" in pins, "pin python"
    assert pins["python"] == f"{sys.version_info.major}.{sys.version_info.minor}", \
        "python pin must match the venv's python minor version"
    assert len(pins) == len([d for d in deps if isinstance(d, str)]), "duplicate packages"


@pytest.mark.parametrize("path", ENV_FILES, ids=lambda p: p.name)
def test_env_versions_agree_with_requirements(path):
    reqs = requirements()
    conda_reqs = {PIP_TO_CONDA.get(name, name): ver for name, ver in reqs.items()}
    env = load_env(path)
    for name, ver in conda_pins(env).items():
        if name in NON_PIP:
            continue
        assert name in conda_reqs, (
            f"{path.name}: {name} is not in requirements.txt (add it there, pinned, so the "
            f"tested venv and the conda env agree)")
        if name in CONDA_DIFFERS:
            assert ver == CONDA_DIFFERS[name][0], f"{path.name}: {name}={ver}, see CONDA_DIFFERS"
            continue
        assert ver == conda_reqs[name], \
            f"{path.name}: {name}={ver} but requirements.txt has {conda_reqs[name]}"
    for name, ver in pip_pins(env).items():
        assert reqs.get(name) == ver, f"{path.name}: pip {name}=={ver} vs requirements.txt"


@pytest.mark.parametrize("path", ENV_FILES, ids=lambda p: p.name)
def test_conda_pins_exist_in_channel_listings(path):
    env = load_env(path)
    for name, ver in conda_pins(env).items():
        if name not in CHANNEL_LISTINGS:
            continue
        channel, known = CHANNEL_LISTINGS[name]
        if isinstance(known, set):
            assert ver in known, f"{path.name}: {name}={ver} is not on {channel} (has {sorted(known)})"
        else:
            assert vtuple(ver) <= vtuple(known), (
                f"{path.name}: {name}={ver} is newer than {channel}'s newest ({known}): "
                f"pin <= {known}, or move it under pip: if the version is PyPI-only")


@pytest.mark.parametrize("path", ENV_FILES, ids=lambda p: p.name)
def test_pip_section_only_for_pypi_only_versions(path):
    env = load_env(path)
    pips = pip_pins(env)
    if not pips:
        return
    assert "pip" in conda_pins(env), f"{path.name}: a pip: section needs pip pinned in the env"
    extra = sorted(set(pips) - PYPI_ONLY)
    assert not extra, (f"{path.name}: {extra} under pip: but conda-forge/bioconda has them: "
                       "pin them as conda packages")
    for name in pips:
        assert name not in conda_pins(env), f"{path.name}: {name} both as conda and pip package"
        if name in CHANNEL_LISTINGS:  # really newer than the channel's newest
            assert vtuple(pips[name]) > vtuple(CHANNEL_LISTINGS[name][1]), (
                f"{path.name}: {name}=={pips[name]} exists on {CHANNEL_LISTINGS[name][0]}: "
                "pin it as a conda package")


def test_every_requirement_is_in_some_env():
    in_envs = set()
    for path in ENV_FILES:
        in_envs |= set(all_pins(load_env(path)))
    missing = [name for name in requirements()
               if name not in NOT_IN_ENVS and PIP_TO_CONDA.get(name, name) not in in_envs]
    assert not missing, f"in requirements.txt but in no envs/*.yaml: {missing}"


# ---------------------------------------------------------------------------------
# rules -> envs


def parse_rules(smk: Path) -> list[dict]:
    """Rules of a .smk file: name and the first string of each directive (text parse)."""
    rules, cur, directive = [], None, None
    for raw in smk.read_text().splitlines():
        line = raw.split("#", 1)[0].rstrip() if not raw.lstrip().startswith(("'", '"')) else raw.rstrip()
        if not line.strip():
            continue
        m = re.match(r"^(?:rule|checkpoint)\s+(\w+)\s*:", line)
        if m:
            cur = {"name": m[1], "file": smk, "directives": {}}
            rules.append(cur)
            directive = None
            continue
        if not line.startswith((" ", "\t")):
            cur, directive = None, None  # left the rule block
            continue
        if cur is None:
            continue
        m = re.match(r"^\s{4}(\w+)\s*:\s*(.*)$", line)
        if m and len(line) - len(line.lstrip()) == 4:
            directive = m[1]
            cur["directives"].setdefault(directive, [])
            rest = m[2]
            if rest:
                cur["directives"][directive].append(rest)
            continue
        if directive:
            cur["directives"][directive].append(line.strip())
    return rules


def first_string(values: list[str]) -> str | None:
    for v in values:
        m = re.search(r"""(?:^|[^\w])[rf]?(["'])(.+?)\1""", v)
        if m:
            return m[2]
    return None


ALL_RULES = [r for smk in sorted(RULES.glob("*.smk")) for r in parse_rules(smk)]
RUNNING_RULES = [r for r in ALL_RULES
                 if {"shell", "script", "notebook", "wrapper"} & set(r["directives"])]


def test_rules_were_found():
    if not list(RULES.glob("*.smk")):
        pytest.skip("no workflow/rules/*.smk yet")
    assert RUNNING_RULES, "no rule with shell/script found: parser broken?"


@pytest.mark.parametrize("rule", RUNNING_RULES, ids=lambda r: r["name"])
def test_rule_conda_env_exists(rule):
    d = rule["directives"]
    assert "conda" in d, (f"rule {rule['name']} ({rule['file'].name}) runs something but has no "
                          "conda: directive, so `--sdm conda` would run it in the base env")
    rel = first_string(d["conda"])
    assert rel, f"rule {rule['name']}: conda: is not a plain path string: {d['conda']}"
    env = (rule["file"].parent / rel).resolve()
    assert env.is_file(), f"rule {rule['name']}: conda env {rel} -> {env} does not exist"
    assert env.parent == ENVS.resolve(), f"rule {rule['name']}: env {env} is not in envs/"


# ---------------------------------------------------------------------------------
# script imports -> env packages

STDLIB = set(sys.stdlib_module_names)


def module_file(modname: str) -> Path | None:
    base = PKG_ROOT.joinpath(*modname.split("."))
    if base.with_suffix(".py").is_file():
        return base.with_suffix(".py")
    if (base / "__init__.py").is_file():
        return base / "__init__.py"
    return None


def imports_of(path: Path, modname: str | None) -> tuple[set[str], bool]:
    """(absolute module names imported anywhere in `path`, relative imports resolved;
    whether it uses snpgen.plink for more than its exception class)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    pkg = None
    if modname:
        pkg = modname if path.name == "__init__.py" else modname.rpartition(".")[0]
    found, runs_plink = set(), False
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
            runs_plink |= any(a.name == "snpgen.plink" for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg or ""
                for _ in range(node.level - 1):
                    base = base.rpartition(".")[0]
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            found.add(target)
            if target == "snpgen.plink":
                # `from .plink import PlinkError` (error formatting) needs no binary
                runs_plink |= any(a.name != "PlinkError" for a in node.names)
            for a in node.names:  # `from snpgen import io` imports snpgen.io
                if module_file(f"{target}.{a.name}"):
                    found.add(f"{target}.{a.name}")
                    runs_plink |= f"{target}.{a.name}" == "snpgen.plink"
    return found, runs_plink


def third_party_imports(script: Path) -> tuple[set[str], set[str], bool]:
    """(top-level third-party modules, snpgen modules, whether plink binaries are run)
    reached from `script` -- counting imports inside functions too (over-approximation)."""
    todo = [(script, None)]
    seen_local, third, runs_plink = set(), set(), False
    while todo:
        path, modname = todo.pop()
        mods, uses = imports_of(path, modname)
        runs_plink |= uses
        for mod in mods:
            top = mod.split(".")[0]
            if top == "snpgen":
                # importing snpgen.a.b runs snpgen/__init__ and snpgen/a/__init__ too
                parts = mod.split(".")
                for i in range(1, len(parts) + 1):
                    sub = ".".join(parts[:i])
                    f = module_file(sub)
                    if f and sub not in seen_local:
                        seen_local.add(sub)
                        todo.append((f, sub))
            elif top and top not in STDLIB and top not in PROVIDED:
                third.add(top)
    return third, seen_local, runs_plink


def script_needs(script: Path) -> set[str]:
    """Conda/pip package names a script needs: its third-party imports, plus plink2 + PLINK
    1.9 when it runs snpgen.plink."""
    third, _, runs_plink = third_party_imports(script)
    needed = {IMPLIED_BY.get(m) or IMPORT_TO_CONDA.get(m, m.lower().replace("_", "-"))
              for m in third}
    if runs_plink:
        needed |= {"plink2", "plink"}
    return needed


SCRIPT_RULES = [r for r in RUNNING_RULES if "script" in r["directives"] and "conda" in r["directives"]]


@pytest.mark.parametrize("rule", SCRIPT_RULES, ids=lambda r: r["name"])
def test_rule_env_covers_script_imports(rule):
    d = rule["directives"]
    script = (rule["file"].parent / first_string(d["script"])).resolve()
    env_path = (rule["file"].parent / first_string(d["conda"])).resolve()
    if not script.is_file() or not env_path.is_file() or script.suffix != ".py":
        pytest.skip(f"{script.name} / {env_path.name} missing or not a Python script")
    pins = all_pins(load_env(env_path))
    needed = script_needs(script)
    local = third_party_imports(script)[1]
    missing = sorted(needed - set(pins))
    assert not missing, (f"rule {rule['name']}: {script.name} (via {sorted(local)}) imports/needs "
                         f"{missing}, which {env_path.name} lacks")


@pytest.mark.parametrize("path", ENV_FILES, ids=lambda p: p.name)
def test_env_holds_nothing_its_rules_do_not_need(path):
    users = [r for r in SCRIPT_RULES
             if (r["file"].parent / first_string(r["directives"]["conda"])).resolve() == path.resolve()]
    if not users:
        pytest.skip(f"no rule uses {path.name}")
    needed = set()
    for r in users:
        script = (r["file"].parent / first_string(r["directives"]["script"])).resolve()
        needed |= script_needs(script)
    unused = sorted(set(all_pins(load_env(path))) - needed - {"python", "pip"}
                    - set(NEEDED_WITHOUT_IMPORT))
    assert not unused, (f"{path.name}: {unused} pinned but imported by none of "
                        f"{sorted(r['name'] for r in users)}: drop them (or say why in "
                        "NEEDED_WITHOUT_IMPORT)")

"""The container definitions (containers/Dockerfile, containers/snpgen.def) -- static checks.

No container runtime or registry is reachable on the test machines, so the images are never
built here. Checked instead:
* both files parse (Dockerfile instructions, Apptainer header + sections), start from the same
  base image, and copy only files that exist; both run the shared containers/install.sh, which
  is valid bash;
* install.sh installs requirements.txt minus only the test/login-node packages, torch at the
  requirements.txt pin, the snpgen package, and Debian's plink2 + plink1.9;
* every third-party module that a rule's script imports (tests/test_envs.py's import walk) is
  installed in the image, and so is snakemake (a `script:` job imports it), and PLINK for the
  scripts that run it;
* the Snakefile has a global `container:` directive fed by the config key `container`, and
  `--sdm apptainer` dry-runs with an image URL set through it.
"""
from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
import test_envs  # noqa: E402  (the rule/script import walk)
from conftest import NO_SLURM, own_workdir  # noqa: E402

CONTAINERS = REPO / "containers"
DOCKERFILE = CONTAINERS / "Dockerfile"
DEF = CONTAINERS / "snpgen.def"
INSTALL = CONTAINERS / "install.sh"
DOCKER_INSTRUCTIONS = {"FROM", "ARG", "ENV", "RUN", "COPY", "ADD", "LABEL", "WORKDIR", "USER",
                       "CMD", "ENTRYPOINT", "EXPOSE", "VOLUME", "SHELL", "HEALTHCHECK",
                       "STOPSIGNAL", "ONBUILD"}
DEF_SECTIONS = {"setup", "files", "environment", "post", "runscript", "startscript", "test",
                "labels", "help", "arguments", "app"}
# import name -> pip distribution name, where they differ
IMPORT_TO_PIP = {"sklearn": "scikit-learn", "yaml": "pyyaml", "bed_reader": "bed-reader",
                 "threadpoolctl": "scikit-learn", "joblib": "scikit-learn"}


def docker_instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        word, _, rest = line.strip().partition(" ")
        out.append((word, rest.strip()))
    return out


def def_file() -> tuple[dict[str, str], dict[str, list[str]]]:
    header, sections, cur = {}, {}, None
    for line in DEF.read_text().splitlines():
        if line.lstrip().startswith("#") and cur is None:
            continue
        m = re.match(r"^%(\w+)\s*(.*)$", line)
        if m:
            cur = m.group(1)
            sections[cur] = []
            continue
        if cur is None:
            if line.strip():
                key, sep, val = line.partition(":")
                assert sep, f"snpgen.def header line without 'Key: value': {line!r}"
                header[key.strip()] = val.strip()
        elif line.strip():
            sections[cur].append(line.strip())
    return header, sections


def requirements() -> dict[str, str]:
    return test_envs.requirements()


def excluded() -> set[str]:
    m = re.search(r"^EXCLUDED='([^']*)'", INSTALL.read_text(), re.M)
    assert m, "install.sh: no EXCLUDED='...'"
    return set(m.group(1).split("|"))


def installed_pip() -> set[str]:
    return set(requirements()) - excluded() | {"snpgen"}


def apt_packages() -> set[str]:
    m = re.search(r'^APT_PACKAGES="([^"]*)"', INSTALL.read_text(), re.M)
    assert m, "install.sh: no APT_PACKAGES=\"...\""
    return set(m.group(1).split())


def test_dockerfile_parses():
    ins = docker_instructions()
    assert ins and ins[0][0] in ("FROM", "ARG"), ins[:1]
    for word, rest in ins:
        assert word in DOCKER_INSTRUCTIONS, f"unknown Dockerfile instruction {word!r}"
        assert rest, f"{word} without arguments"
    froms = [rest for word, rest in ins if word == "FROM"]
    assert froms == ["debian:12-slim"], froms
    for word, rest in ins:
        if word == "COPY":
            *srcs, dest = shlex.split(rest)
            assert dest.startswith("/"), rest
            for src in srcs:
                assert (REPO / src).exists(), f"COPY {src}: not in the build context (repo root)"
    runs = [rest for word, rest in ins if word == "RUN"]
    assert any("containers/install.sh" in r for r in runs), runs
    envs = " ".join(rest for word, rest in ins if word == "ENV")
    assert "/opt/snpgen/bin" in envs, "the image's venv must be first on PATH"


def test_apptainer_def_parses():
    header, sections = def_file()
    assert header.get("Bootstrap") == "docker", header
    assert header.get("From") == "debian:12-slim", "same base image as the Dockerfile"
    assert set(sections) <= DEF_SECTIONS, set(sections) - DEF_SECTIONS
    assert {"files", "post", "environment"} <= set(sections)
    for line in sections["files"]:
        src, dest = line.split()
        assert (REPO / src).exists(), f"%files {src}: not in the repository"
        assert dest.startswith("/opt/snpgen-src/"), line
    assert any("containers/install.sh" in ln for ln in sections["post"])
    assert any("/opt/snpgen/bin" in ln for ln in sections["environment"])


def test_both_copy_the_same_sources():
    docker = set()
    for word, rest in docker_instructions():
        if word == "COPY":
            *srcs, dest = shlex.split(rest)
            for src in srcs:
                docker.add((src, dest.rstrip("/") + ("/" + Path(src).name if dest.endswith("/") else "")))
    _, sections = def_file()
    apptainer = {tuple(line.split()) for line in sections["files"]}
    assert docker == apptainer, (docker, apptainer)


def test_install_script_is_valid_bash_and_installs_the_pins():
    subprocess.run(["bash", "-n", str(INSTALL)], check=True)
    text = INSTALL.read_text()
    assert excluded() == {"pytest", "playwright", "snakemake-executor-plugin-slurm"}
    assert excluded() <= set(requirements()), "EXCLUDED names a package not in requirements.txt"
    assert '-r /tmp/snpgen-requirements.txt' in text and "--no-deps \"$SRC\"" in text
    assert re.search(r"grep -E '\^torch==' \"\$SRC/requirements.txt\"", text), \
        "torch must default to requirements.txt's pin"
    assert {"python3", "python3-venv", "plink2", "plink1.9", "bash"} <= apt_packages()
    assert "snakemake" in installed_pip(), "a script: job imports snakemake inside the image"


@pytest.mark.parametrize("rule", test_envs.SCRIPT_RULES, ids=lambda r: r["name"])
def test_image_covers_every_rule_import(rule):
    script = (rule["file"].parent / test_envs.first_string(rule["directives"]["script"])).resolve()
    third, _, runs_plink = test_envs.third_party_imports(script)
    needed = {IMPORT_TO_PIP.get(m, m.lower().replace("_", "-")) for m in third}
    missing = sorted(needed - installed_pip())
    assert not missing, f"rule {rule['name']}: {script.name} imports {missing}, not in the image"
    if runs_plink:
        assert {"plink2", "plink1.9"} <= apt_packages()


def test_snakefile_has_container_directive():
    text = (REPO / "Snakefile").read_text()
    assert re.search(r'^container:\s*bundled\(config\["container"\]\)', text, re.M), \
        "global container: directive fed by the config key `container`"


def test_apptainer_dry_run_uses_the_image(tmp_path):
    """--sdm apptainer dry-runs (no apptainer needed for -n) with an image URL as `container`."""
    snakemake = str(Path(sys.executable).parent / "snakemake")
    proc = subprocess.run([snakemake, "-n", "--cores", "1", *own_workdir(tmp_path / "results"), "--sdm", "apptainer",
                           "--workflow-profile", "none", "--config", "container=docker://example/snpgen:0.1.0",
                           f"results={tmp_path / 'results'}", "--", f"{tmp_path}/results/cohort/cohort.bed"],
                          cwd=REPO, capture_output=True, text=True, timeout=300, env={**os.environ, **NO_SLURM})
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert "simulate_cohort" in out

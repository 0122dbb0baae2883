"""The SLURM profile (profiles/slurm) really runs snpgen through SLURM.

Three kinds of test:

Every run composes a SITE profile with snpgen's WORKFLOW profile, as docs/slurm.md tells a
core to: ``--profile tests/slurm/site --profile profiles/slurm`` (or ``profiles/slurm-gres``).
tests/slurm/site is profiles/site-example filled in for the localhost test cluster (partition
debug, no accounting: squeue as status command).

* ``test_gpu_rules_submit_line_*`` -- no cluster needed. Snakemake runs with the profiles
  against shim ``sbatch``/``sinfo``/... executables that record the ``sbatch`` call and
  refuse it, so the submit line built by the slurm plugin's own code (get_submit_command +
  set_gres_string) can be checked for each GPU recipe: profiles/slurm gives ``--gpus=1`` and
  no ``--gres``, profiles/slurm-gres ``--gres=gpu:1`` and no ``--gpus``; the CPU-only test
  override removes both.
* ``test_tiny_workflow_*`` / ``test_failing_rule_*`` -- a throwaway two-rule Snakefile
  run through a real one-node SLURM cluster on localhost (tests/slurm/cluster.sh):
  job IDs are checked in the snakemake log, in ``squeue --states=all`` history and in
  slurmctld's job-completion file; a failing rule must end the run non-zero and name
  the rule and its log.
* ``test_gpu_rule_is_scheduled_with_its_gpu`` -- the same Snakefile WITHOUT the CPU-only
  override on a cluster with one fake (count-only) GPU, once per GPU recipe: the sbatch line
  has ``--gpus=1`` (resp. ``--gres=gpu:1``) and not the other, slurmctld accepts it and gives
  the job CUDA_VISIBLE_DEVICES=0.
* ``test_real_workflow_through_slurm`` -- the real workflow on its test config
  through SLURM (CPU-only override); the selected SNP lists must equal those of a
  local run (conftest's ``workflow_run``).

The cluster tests are skipped (with the reason) when the SLURM binaries are absent,
unless SNPGEN_REQUIRE_SLURM=1 is set, in which case they fail. The fixture starts the
cluster when it is not already up and always stops what it started. A cluster that
was already up (started by .ci/run, say) is left running for whoever started it.

Test-only override (the test cluster has no real GPU): cpu_only_set_resources() below;
nothing in profiles/ changes.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import own_workdir

REPO = Path(__file__).resolve().parents[1]
PROFILE = REPO / "profiles" / "slurm"
PROFILE_FILE = PROFILE / "config.v8+.yaml"
GRES_PROFILE = REPO / "profiles" / "slurm-gres"
SITE_PROFILE = REPO / "tests" / "slurm" / "site"  # the localhost cluster's site profile
SITE_EXAMPLE = REPO / "profiles" / "site-example"
CLUSTER_SH = REPO / "tests" / "slurm" / "cluster.sh"
GPU_RULES = ("train_vae", "train_diffusion", "calibrate_readout", "sample_cohort")

# ---------------------------------------------------------------------------------
# The test-only override: the profile's set-resources re-stated with every GPU request dropped
# (gpu=0 over the rules' gpu=1, no gres, no gpu_model, no cpus_per_gpu), as for a CPU-only
# cluster. A command-line --set-resources replaces the profile's whole set-resources key, so
# every entry is repeated; for profiles/slurm as shipped this is
#   --set-resources train_vae:mem_mb=16000 train_vae:runtime=240 train_vae:gpu=0
#                   train_diffusion:... sample_cohort:...


def cpu_only_set_resources(profile_file: Path = PROFILE_FILE) -> list[str]:
    """``--set-resources`` arguments: the profile's, with the GPU requests dropped."""
    prof = yaml.safe_load(profile_file.read_text())
    args = ["--set-resources"]
    for rule, res in (prof.get("set-resources") or {}).items():
        res = dict(res)
        for key in ("gpu", "gres", "gpu_model", "cpus_per_gpu"):
            res.pop(key, None)
        if rule in GPU_RULES:
            res["gpu"] = 0
        args += [f"{rule}:{key}={val}" for key, val in res.items()]
    return args


# ---------------------------------------------------------------------------------
# helpers

SUBMIT_RE = re.compile(r"Job (\d+) has been submitted with SLURM jobid (\d+) \(log: (\S+?)\)\.")
RUN_ID_RE = re.compile(r"SLURM run ID: (\S+)")


def snakemake_cmd(*args: str, profile: Path = PROFILE) -> list[str]:
    """snakemake with the test cluster's site profile, then snpgen's workflow profile."""
    return [sys.executable, "-m", "snakemake", "--profile", str(SITE_PROFILE),
            "--profile", str(profile), *args]


def run(cmd: list[str], cwd: Path, env: dict | None = None, timeout: int = 600,
        save_to: Path | None = None):
    """Run `cmd`; the combined output is returned and kept in save_to (cwd/snakemake.out)."""
    full_env = os.environ.copy()
    full_env.pop("SNAKEMAKE_PROFILE", None)
    full_env.pop("CUDA_VISIBLE_DEVICES", None)  # sbatch --export=ALL would pass it on
    full_env.update(env or {})
    try:
        proc = subprocess.run(cmd, cwd=cwd, env=full_env, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        # say where it hung: snakemake's last lines, the queue, and the slowest job's log
        part = "".join(_text(s) for s in (exc.stdout, exc.stderr))
        (save_to or cwd / "snakemake.out").write_text(" ".join(cmd) + "\n\n" + part)
        pytest.fail(f"snakemake through SLURM still running after {timeout} s\n"
                    f"--- snakemake output (tail) ---\n{part[-5000:]}\n"
                    f"--- squeue --states=all ---\n{_squeue_now()}\n--- uptime ---\n"
                    f"{subprocess.run(['uptime'], capture_output=True, text=True).stdout}")
    out = proc.stdout + proc.stderr
    (save_to or cwd / "snakemake.out").write_text(" ".join(cmd) + "\n\n" + out)
    return proc.returncode, out


def _text(b) -> str:
    return b.decode(errors="replace") if isinstance(b, bytes) else (b or "")


def _squeue_now() -> str:
    res = subprocess.run(["squeue", "--states=all", "--format=%i|%j|%k|%T|%M|%C|%R"],
                         capture_output=True, text=True)
    return res.stdout + res.stderr


def submissions(out: str) -> dict[str, str]:
    """SLURM job id -> rule name, from snakemake's 'has been submitted' lines."""
    found = {}
    for _, slurm_id, log in SUBMIT_RE.findall(out):
        m = re.search(r"/rule_([A-Za-z0-9_]+)/", log)
        found[slurm_id] = m.group(1) if m else "?"
    return found


def run_id(out: str) -> str:
    m = RUN_ID_RE.search(out)
    assert m, "no 'SLURM run ID' in the snakemake output: was the slurm executor used?"
    return m.group(1)


def squeue_history(name: str) -> dict[str, tuple[str, str]]:
    """job id -> (state, comment) for all jobs named `name` still known to slurmctld
    (finished jobs stay for MinJobAge=600 s on the test cluster)."""
    res = subprocess.run(["squeue", "--states=all", "--noheader", "--name", name,
                          "--format=%i|%T|%k"], capture_output=True, text=True, check=True)
    hist = {}
    for line in res.stdout.splitlines():
        jid, state, comment = line.strip().split("|", 2)
        hist[jid] = (state, comment)
    return hist


def jobcomp_records() -> dict[str, dict[str, str]]:
    """slurmctld's job-completion log (JobCompType=jobcomp/filetxt): JobId -> fields."""
    conf = subprocess.run(["scontrol", "show", "config"], capture_output=True, text=True,
                          check=True).stdout
    m = re.search(r"^JobCompLoc\s*=\s*(\S+)", conf, re.M)
    assert m, "JobCompLoc not set: the cluster was not started by tests/slurm/cluster.sh?"
    path = Path(m.group(1))
    recs = {}
    if path.exists():
        for line in path.read_text().splitlines():
            fields = dict(re.findall(r"(\w+)=(\S*)", line))
            if "JobId" in fields:
                recs[fields["JobId"]] = fields
    return recs


def job_field(jid: str, field: str) -> str | None:
    """A field of `scontrol show job` (finished jobs stay for MinJobAge=600 s)."""
    res = subprocess.run(["scontrol", "-o", "show", "job", jid], capture_output=True, text=True)
    m = re.search(rf"(?:^|\s){field}=(\S*)", res.stdout)
    return m.group(1) if m else None


def node_gpus() -> int:
    res = subprocess.run(["scontrol", "-o", "show", "node", "localhost"], capture_output=True,
                         text=True)
    m = re.search(r"Gres=gpu:(?:\w+:)?(\d+)", res.stdout)
    return int(m.group(1)) if m else 0


def slurm_binaries_present() -> bool:
    tools = ["sbatch", "squeue", "sinfo", "scontrol", "srun"]
    daemons = ["munged", "slurmctld", "slurmd"]
    return all(shutil.which(t) for t in tools) and all(
        shutil.which(d) or Path("/usr/sbin", d).exists() for d in daemons)


# make test runs two pytest-xdist workers with --dist loadfile: every test of this file on one of
# them, so only one worker starts (and stops) the test cluster. (--dist loadgroup with an
# xdist_group mark does not group under pytest 9.2 + xdist 3.8.0: the tests were spread over both
# workers, one stopped the cluster under the other's workflow run and CI hung for 20 min.)


def _claim_cluster_for_this_worker(tmp_path_factory, worker_id: str) -> None:
    """Fail at once, naming the cause, when a second xdist worker wants the test cluster."""
    if worker_id == "master":
        return
    owner = tmp_path_factory.getbasetemp().parent / "slurm_cluster.owner"
    try:
        with open(owner, "x") as fh:
            fh.write(worker_id)
    except FileExistsError:
        first = owner.read_text()
        if first != worker_id:
            pytest.fail(f"the SLURM tests were split over pytest-xdist workers {first} and "
                        f"{worker_id}: each would start and stop the one test cluster under the "
                        "other's jobs; run them on one worker (make test: --dist loadfile)")


@pytest.fixture(scope="session")
def slurm_cluster(tmp_path_factory, worker_id):
    """A one-node SLURM cluster on localhost, up for the whole session."""
    _claim_cluster_for_this_worker(tmp_path_factory, worker_id)
    required = os.environ.get("SNPGEN_REQUIRE_SLURM", "") not in ("", "0")

    def unavailable(reason: str):
        if required:
            pytest.fail(f"{reason} (and SNPGEN_REQUIRE_SLURM is set)")
        pytest.skip(reason)

    if not slurm_binaries_present():
        unavailable("SLURM/munge binaries absent: run scripts/install_slurm.sh "
                    "(apt: slurm-wlm slurmctld slurmd munge)")
    if os.geteuid() != 0 and not shutil.which("sudo"):
        unavailable("starting the test cluster needs root or sudo")
    already_up = subprocess.run([str(CLUSTER_SH), "status"], capture_output=True).returncode == 0
    started = False
    try:
        if not already_up:
            # (with one fake GPU by default, so the profile's --gpus=1 can be scheduled)
            res = subprocess.run([str(CLUSTER_SH), "start"], capture_output=True, text=True,
                                 timeout=180)
            started = True
            if res.returncode != 0:
                unavailable(f"tests/slurm/cluster.sh start failed:\n{res.stdout}{res.stderr}")
        yield {"already_up": already_up}
    finally:
        if started:
            subprocess.run([str(CLUSTER_SH), "stop"], capture_output=True, timeout=180)


# ---------------------------------------------------------------------------------
# 1. the submit line of the GPU rules (no cluster needed)

TINY_GPU_SNAKEFILE = """
rule all:
    input: expand("out/{r}.txt", r=["make_a", "train_vae", "train_diffusion", "calibrate_readout", "sample_cohort"])

rule make_a:
    output: "out/make_a.txt"
    shell: "touch {output}"

rule train_vae:
    output: "out/train_vae.txt"
    resources: gpu=1
    shell: "touch {output}"

rule train_diffusion:
    output: "out/train_diffusion.txt"
    resources: gpu=1
    shell: "touch {output}"

rule calibrate_readout:
    output: "out/calibrate_readout.txt"
    resources: gpu=1
    shell: "touch {output}"

rule sample_cohort:
    output: "out/sample_cohort.txt"
    resources: gpu=1
    shell: "touch {output}"
"""

SHIM_SBATCH = """#!{python}
import json, os, sys
with open(os.environ["SHIM_LOG"], "a") as fh:
    fh.write(json.dumps(sys.argv[1:]) + "\\n")
sys.stderr.write("sbatch: error: shim sbatch, nothing submitted\\n")
sys.exit(1)
"""


def _sbatch_calls_via_shims(tmp_path: Path, extra: list[str], profile: Path = PROFILE,
                            site: Path | None = None, accounts: str = "") -> dict[str, list[str]]:
    """Run the tiny GPU workflow with the site + workflow profiles against shim SLURM
    commands that record and refuse every sbatch call; return rule -> sbatch argv.
    `accounts`: what the shim sacctmgr lists as the user's accounts (none: it fails)."""
    shims = tmp_path / "shims"
    shims.mkdir()
    (shims / "sbatch").write_text(SHIM_SBATCH.format(python=sys.executable))
    (shims / "sinfo").write_text("#!/bin/sh\nprintf 'PARTITION\\ndebug*\\n'\n")
    for tool in ("squeue", "sacct", "scontrol", "sacctmgr", "sshare"):
        (shims / tool).write_text("#!/bin/sh\nexit 1\n")
    if accounts:
        (shims / "sacctmgr").write_text(f"#!/bin/sh\necho {accounts}\n")
    for f in shims.iterdir():
        f.chmod(0o755)
    work = tmp_path / "wf"
    work.mkdir()
    (work / "Snakefile").write_text(TINY_GPU_SNAKEFILE)
    log = tmp_path / "sbatch_calls.jsonl"
    cmd = snakemake_cmd("--retries", "0", "--keep-going", *extra, profile=profile)
    if site is not None:
        cmd[cmd.index(str(SITE_PROFILE))] = str(site)
    rc, out = run(cmd,
                  cwd=work, env={"PATH": f"{shims}:{os.environ['PATH']}", "SHIM_LOG": str(log)},
                  timeout=300)
    assert rc != 0, "the shim sbatch refuses every job, so the run must fail"
    assert log.exists(), f"sbatch was never called:\n{out[-4000:]}"
    calls = {}
    for line in log.read_text().splitlines():
        argv = json.loads(line)
        rule = argv[argv.index("--comment") + 1].removeprefix("rule_")
        calls[rule] = argv
    assert set(calls) == {"make_a", *GPU_RULES}, out[-4000:]
    return calls


def test_gpu_rules_submit_line_requests_gpu(tmp_path):
    calls = _sbatch_calls_via_shims(tmp_path, [])
    for rule in GPU_RULES:
        argv = calls[rule]
        assert "--gpus=1" in argv, f"{rule}: no GPU request in sbatch {argv}"
        assert not any(a.startswith("--gres") for a in argv), f"{rule}: both --gpus and --gres {argv}"
        assert "--cpus-per-gpu=4" in argv, argv
        assert "--mem" in argv and argv[argv.index("--mem") + 1] == "16000", argv
    cpu = calls["make_a"]
    assert not any(a.startswith(("--gpus", "--gres")) for a in cpu), cpu
    assert "--cpus-per-task=1" in cpu and "-t" in cpu and "--mem" in cpu, cpu
    assert cpu[cpu.index("-p") + 1] == "debug", "default partition (from sinfo) not used"


def test_gpu_rules_submit_line_gres_recipe(tmp_path):
    """profiles/slurm-gres: the same GPU, asked for as --gres=gpu:1 and never also --gpus."""
    calls = _sbatch_calls_via_shims(tmp_path, [], profile=GRES_PROFILE)
    for rule in GPU_RULES:
        argv = calls[rule]
        assert "--gres=gpu:1" in argv, f"{rule}: no --gres in sbatch {argv}"
        assert not any(a.startswith("--gpus") for a in argv), f"{rule}: --gpus too: {argv}"
        assert "--cpus-per-gpu=4" in argv, argv
        assert argv[argv.index("--mem") + 1] == "16000", argv
    assert not any(a.startswith(("--gpus", "--gres")) for a in calls["make_a"])


def test_site_profile_values_survive_the_workflow_profile(tmp_path):
    """The site profile's account and partition reach sbatch: the workflow profile that
    comes after it sets none of the site's keys."""
    site = tmp_path / "mysite"
    site.mkdir()
    conf = yaml.safe_load((SITE_EXAMPLE / "config.v8+.yaml").read_text())
    conf["default-resources"].update(slurm_partition="compute", slurm_account="my_lab")
    (site / "config.v8+.yaml").write_text(yaml.safe_dump(conf))
    # the example sets no status-check delay: the plugin's default (40 s) would idle the test
    calls = _sbatch_calls_via_shims(tmp_path, ["--slurm-init-seconds-before-status-checks", "4"], site=site,
                                    accounts="my_lab")
    for rule, argv in calls.items():
        assert argv[argv.index("-p") + 1] == "compute", (rule, argv)
        assert argv[argv.index("-A") + 1] == "my_lab", (rule, argv)


def test_profiles_set_no_site_keys_and_differ_only_in_the_gpu_mapping():
    site_keys = set(yaml.safe_load((SITE_EXAMPLE / "config.v8+.yaml").read_text()))
    gpus = yaml.safe_load(PROFILE_FILE.read_text())
    gres = yaml.safe_load((GRES_PROFILE / "config.v8+.yaml").read_text())
    for prof in (gpus, gres):
        assert not (set(prof) & (site_keys - {"executor"})), set(prof) & site_keys
        assert "default-resources" not in prof
    assert {k: v for k, v in gpus.items() if k != "set-resources"} == \
        {k: v for k, v in gres.items() if k != "set-resources"}
    for rule in GPU_RULES:
        a = dict(gpus["set-resources"][rule])
        b = dict(gres["set-resources"][rule])
        assert "gpu" not in a and "gres" not in a, "profiles/slurm: the rules' gpu=1 is the request"
        assert b.pop("gpu") == 0 and b.pop("gres") == "gpu:1"
        assert a == b, rule
    # no no-op flags anywhere (slurm-no-account does nothing in plugin 2.8)
    for path in [*REPO.glob("profiles/*/config*.yaml"), SITE_PROFILE / "config.v8+.yaml",
                 REPO / "docs" / "slurm.md"]:
        assert "no-account" not in path.read_text(), path


def test_rules_declare_one_gpu_resource():
    sys.path.insert(0, str(REPO / "tests"))
    import test_envs
    for rule in test_envs.ALL_RULES:
        res = " ".join(rule["directives"].get("resources", []))
        has_gpu = re.search(r"\bgpu\s*=\s*1\b", res) is not None
        assert has_gpu == (rule["name"] in GPU_RULES), (rule["name"], res)
        assert "gres" not in res and "gpu_model" not in res, rule["name"]


def test_gpu_rules_submit_line_cpu_only_override(tmp_path):
    calls = _sbatch_calls_via_shims(tmp_path, cpu_only_set_resources())
    for rule in GPU_RULES:
        argv = calls[rule]
        assert not any(a.startswith(("--gpus", "--gres", "--cpus-per-gpu")) for a in argv), argv
        assert argv[argv.index("--mem") + 1] == "16000", "override must keep the other resources"


# ---------------------------------------------------------------------------------
# 2. a throwaway workflow through the real test cluster

TINY_SNAKEFILE = """
rule all:
    input: "out/b.txt"

rule make_a:
    output: "out/a.txt"
    log: "logs/make_a.log"
    shell: "echo make_a slurm_job=$SLURM_JOB_ID > {output}; env | grep ^SLURM_ > {log}"

rule train_vae:   # named like a GPU rule of the profile: set-resources gives it gpu=1
    input: "out/a.txt"
    output: "out/b.txt"
    log: "logs/train_vae.log"
    resources: gpu=1
    shell: "cat {input} > {output}; echo train_vae slurm_job=$SLURM_JOB_ID >> {output}; "
           "echo CUDA_VISIBLE_DEVICES=${{CUDA_VISIBLE_DEVICES:-none}} >> {output}; env | grep ^SLURM_ > {log}"
"""

FAILING_SNAKEFILE = """
rule all:
    input: "out/never.txt"

rule will_fail:
    output: "out/never.txt"
    log: "logs/will_fail.log"
    shell: "echo will_fail: deliberate failure in SLURM job $SLURM_JOB_ID > {log}; exit 3"
"""


@pytest.mark.slurm
def test_tiny_workflow_runs_through_slurm(slurm_cluster, tmp_path):
    (tmp_path / "Snakefile").write_text(TINY_SNAKEFILE)
    rc, out = run(snakemake_cmd(*cpu_only_set_resources(), "--verbose"),
                  cwd=tmp_path)
    assert rc == 0, out[-6000:]
    rid = run_id(out)
    subs = submissions(out)
    assert sorted(subs.values()) == ["make_a", "train_vae"], out[-6000:]
    # the jobs really ran inside those SLURM jobs
    by_rule = {rule: jid for jid, rule in subs.items()}
    lines = (tmp_path / "out" / "b.txt").read_text().split("\n")
    assert f"make_a slurm_job={by_rule['make_a']}" in lines
    assert f"train_vae slurm_job={by_rule['train_vae']}" in lines
    assert "SLURM_JOB_PARTITION=debug" in (tmp_path / "logs" / "make_a.log").read_text()
    # slurmctld knows them: squeue history (job name = snakemake's run id) ...
    hist = squeue_history(rid)
    assert set(hist) == set(subs), (hist, subs)
    for jid, (state, comment) in hist.items():
        assert state == "COMPLETED" and comment == f"rule_{subs[jid]}", (jid, state, comment)
    # ... and the job-completion log
    recs = jobcomp_records()
    for jid in subs:
        assert recs[jid]["JobState"] == "COMPLETED" and recs[jid]["Name"] == rid, recs.get(jid)
    # the test override really dropped the GPU request
    sbatch_lines = [ln for ln in out.splitlines() if "sbatch call:" in ln]
    assert len(sbatch_lines) == 2 and not any("--gpus" in ln for ln in sbatch_lines)
    assert job_field(by_rule["train_vae"], "TresPerJob") in (None, "(null)")
    assert "CUDA_VISIBLE_DEVICES=none" in lines


@pytest.mark.slurm
@pytest.mark.parametrize("recipe", ["gpus", "gres"])
def test_gpu_rule_is_scheduled_with_its_gpu(slurm_cluster, tmp_path, recipe):
    """Without the CPU-only override, on a cluster with a (fake, count-only) GPU, for each GPU
    recipe: the sbatch line asks for the GPU one way only, slurmctld accepts it and the job
    is given the GPU."""
    if node_gpus() < 1:
        pytest.skip("the running test cluster has no (fake) GPU: start it with "
                    "SNPGEN_SLURM_GPUS=1 tests/slurm/cluster.sh start")
    (tmp_path / "Snakefile").write_text(TINY_SNAKEFILE)
    profile = PROFILE if recipe == "gpus" else GRES_PROFILE
    rc, out = run(snakemake_cmd("--verbose", profile=profile), cwd=tmp_path)
    assert rc == 0, out[-6000:]
    by_rule = {rule: jid for jid, rule in submissions(out).items()}
    sbatch = {m.group(1): ln for ln in out.splitlines() if "sbatch call:" in ln
              for m in [re.search(r"--comment '?rule_(\w+)", ln)] if m}
    assert set(sbatch) == {"make_a", "train_vae"}, sbatch
    vae = sbatch["train_vae"]
    if recipe == "gpus":
        assert "--gpus=1" in vae and "--gres" not in vae, vae
        assert job_field(by_rule["train_vae"], "TresPerJob") == "gres:gpu:1"
    else:
        assert "--gres=gpu:1" in vae and "--gpus" not in vae, vae
        assert "gpu:1" in (job_field(by_rule["train_vae"], "TresPerNode") or ""), \
            job_field(by_rule["train_vae"], "TresPerNode")
    assert "--gpus" not in sbatch["make_a"] and "--gres" not in sbatch["make_a"]
    assert job_field(by_rule["make_a"], "TresPerJob") in (None, "(null)")
    lines = (tmp_path / "out" / "b.txt").read_text().split("\n")
    assert "CUDA_VISIBLE_DEVICES=0" in lines, lines


@pytest.mark.slurm
def test_failing_rule_reports_rule_and_log(slurm_cluster, tmp_path):
    (tmp_path / "Snakefile").write_text(FAILING_SNAKEFILE)
    rc, out = run(snakemake_cmd(), cwd=tmp_path)
    assert rc != 0, out[-4000:]
    assert "Error in rule will_fail:" in out, out[-4000:]
    assert re.search(r"log: logs/will_fail\.log\b", out), out[-4000:]
    # profile retries: 1 -> submitted twice, both FAILED in SLURM
    subs = submissions(out)
    assert list(subs.values()) == ["will_fail", "will_fail"], out[-4000:]
    hist = squeue_history(run_id(out))
    assert {hist[j][0] for j in subs} == {"FAILED"}, hist
    # the rule's own log came from inside a SLURM job
    assert re.match(r"will_fail: deliberate failure in SLURM job \d+",
                    (tmp_path / "logs" / "will_fail.log").read_text())


# ---------------------------------------------------------------------------------
# 3. the real workflow on its test config through the test cluster

TEST_CONFIG = REPO / "tests" / "config" / "config.yaml"


def job_stats(out: str) -> dict[str, int]:
    """The 'Job stats' table snakemake prints before running: rule -> count."""
    m = re.search(r"Job stats:\n.*?\n-+\s+-+\n(.*?)\ntotal\s+(\d+)", out, re.S)
    assert m, "no 'Job stats' table in the snakemake output"
    return {name: int(n) for name, n in re.findall(r"^(\w+)\s+(\d+)$", m.group(1), re.M)}


@pytest.mark.slurm
@pytest.mark.e2e
def test_real_workflow_through_slurm(slurm_cluster, workflow_run, tmp_path):
    """The real workflow on the test config through SLURM, up to the SNP selection of every
    disease plus the two GPU training rules (train_vae -> train_diffusion) of one disease
    (the whole DAG takes ~8 min on 2 cores locally; this part ~5 min through SLURM, most of
    it the plugin's status polling; sample_cohort's submit line is checked by the shim test).
    Every job is a SLURM job that COMPLETED, the GPU rules ran CPU-only under the test
    override, and the selected SNP lists equal the local run's (conftest's workflow_run)."""
    if not TEST_CONFIG.exists():
        pytest.skip("tests/config/config.yaml not there yet")
    local = sorted(workflow_run.glob("*/selection/snps.txt"))
    assert local, "the local run produced no */selection/snps.txt"
    diseases = [p.parent.parent.name for p in local]
    results = tmp_path / "results"
    targets = [str(results / d / "selection" / "snps.txt") for d in diseases]
    targets.append(str(results / diseases[0] / "model" / "diffusion.pt"))  # the GPU rules
    cmd = snakemake_cmd(*cpu_only_set_resources(), *own_workdir(results),
                        "--slurm-logdir", str(tmp_path / "slurm_logs"), "--verbose",
                        "--configfile", str(TEST_CONFIG), "--config", f"results={results}",
                        "--", *targets)
    rc, out = run(cmd, cwd=REPO, env={"PYTHONHASHSEED": "0"}, timeout=1200,
                  save_to=tmp_path / "snakemake.out")
    assert rc == 0, out[-8000:]

    # every job except local rules went to SLURM, and SLURM ran each to COMPLETED
    stats = job_stats(out)
    subs = submissions(out)
    local_rules = set(re.findall(r"^localrule (\w+):", out, re.M))  # run by snakemake itself
    expected = sum(n for rule, n in stats.items() if rule not in local_rules)
    assert len(subs) == expected, (stats, subs)
    assert set(subs.values()) == set(stats) - local_rules
    assert {"qc", "gwas", "select_snps", "train_vae", "train_diffusion"} <= set(subs.values())
    rid = run_id(out)
    hist = squeue_history(rid)
    assert set(hist) == set(subs), (hist, subs)
    assert all(state == "COMPLETED" for state, _ in hist.values()), hist
    recs = jobcomp_records()
    assert all(recs[j]["JobState"] == "COMPLETED" and recs[j]["Name"] == rid for j in subs)

    # the test override dropped the GPU request of the GPU rules
    for line in out.splitlines():
        if "sbatch call:" in line:
            assert "--gpus" not in line and "--gres" not in line, line
    for jid, rule in subs.items():
        if rule in GPU_RULES:
            assert job_field(jid, "TresPerJob") in (None, "(null)"), (rule, jid)
    assert (results / diseases[0] / "model" / "diffusion.pt").stat().st_size > 0

    # same selected SNPs as the local run
    for snps in local:
        disease = snps.parent.parent.name
        via_slurm = results / disease / "selection" / "snps.txt"
        assert via_slurm.read_text() == snps.read_text(), f"{disease}: SNP list differs"

#!/usr/bin/env python
"""The biobank-scale benchmark at a chosen cohort size (issue 23's 5k / 20k / 50k table).

    .venv/bin/python benchmarks/scale_run.py --n 5000 [--cores 2] [--run] [--diseases poly,oligo]

Writes results_scale_<n>/config/{config,cohort,diseases}.yaml: benchmarks/configs/scale*.yaml with
the number of people, the artefact counts and the synthetic cohort sizes scaled from 50,000 to n
(everything else, SNP density, chromosomes, architectures, QC, model, as in the 50k config).
With --run it then starts the workflow on it (resumable: run the same command again after an
interruption). `benchmarks/stage_table.py results_scale_<n>` prints the per-rule table after.
--diseases runs only those diseases' chains (their reports as targets; the cohort, QC and the
other diseases' outputs that exist are kept): one disease of the 50k cohort from simulation to
report is estimated to fit a 3-hour session on 2 cores (about 2.5 h; benchmarks/README.md
section 9) where all three do not.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import yaml

CONFIGS = Path(__file__).parent / "configs"
SCALED_ARTEFACTS = ("bad_samples", "bad_snps", "hwe_snps", "duplicates", "relatives")


def scaled_configs(n: int) -> dict[str, dict]:
    """The three config files of the n-person run, from the 50,000-person ones."""
    cohort = yaml.safe_load((CONFIGS / "scale_cohort.yaml").read_text())
    diseases = yaml.safe_load((CONFIGS / "scale_diseases.yaml").read_text())
    overlay = yaml.safe_load((CONFIGS / "scale.yaml").read_text())
    factor = n / cohort["n_individuals"]
    cohort["n_individuals"] = n
    for key in SCALED_ARTEFACTS:
        cohort["artefacts"][key] = max(1, round(cohort["artefacts"][key] * factor))
    for spec in diseases.values():
        spec["synthetic_n"] = max(200, round(spec["synthetic_n"] * factor))
    return {"cohort": cohort, "diseases": diseases, "config": overlay}


def write_configs(n: int, root: Path) -> Path:
    results = root / f"results_scale_{n}"
    folder = results / "config"
    folder.mkdir(parents=True, exist_ok=True)
    files = scaled_configs(n)
    files["config"].update(results=str(results), diseases_file=str(folder / "diseases.yaml"),
                           cohort={"demo_params": str(folder / "cohort.yaml")})
    for name, content in files.items():
        (folder / f"{name}.yaml").write_text(yaml.safe_dump(content, sort_keys=False))
    return folder / "config.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, required=True, help="people in the simulated cohort")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--run", action="store_true", help="start the workflow after writing the configs")
    parser.add_argument("--diseases", default="", help="comma-separated diseases to run (default: all)")
    args = parser.parse_args()
    root = Path.cwd()
    overlay = write_configs(args.n, root)
    print(f"config overlay: {overlay}")
    if args.run:
        cmd = [str(root / ".venv/bin/snakemake"), "--cores", str(args.cores), "--profile", "profiles/local",
               "--configfile", "config/config.yaml", str(overlay), "--rerun-incomplete"]
        results = overlay.parent.parent
        cmd += [str(results / "reports" / f"{d}.html") for d in filter(None, args.diseases.split(","))]
        print(" ".join(cmd), flush=True)
        sys.exit(subprocess.call(cmd))


if __name__ == "__main__":
    main()

"""Module dependencies: the torch-free parts of the package import no torch; no import cycles in models."""
from __future__ import annotations

import subprocess
import sys

from conftest import ROOT


def _loads(stmt: str) -> set[str]:
    code = (f"import sys; sys.path.insert(0, {str(ROOT / 'workflow')!r}); {stmt}; "
            "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'snpgen'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    return set(out.stdout.split())


def test_baseline_imports_no_torch():
    mods = _loads("import snpgen.baseline, snpgen.genotypes, snpgen.sample")
    assert "snpgen.baseline" in mods and "snpgen.genotypes" in mods
    assert "torch" not in mods and not any(m.startswith("snpgen.models") for m in mods)


def test_baseline_rule_code_path_loads_no_torch(tmp_path):
    """sample_baseline_files (what the torch-free sample_baseline rule runs) end to end, no torch loaded."""
    import numpy as np
    import polars as pl

    from snpgen import io

    rng = np.random.default_rng(0)
    n, L = 40, 6
    ids = [f"R{i}" for i in range(n)]
    bim = pl.DataFrame({"CHR": ["1"] * L, "ID": [f"rs{j}" for j in range(L)], "CM": [0.0] * L,
                        "POS": [1000 * (j + 1) for j in range(L)], "A1": ["A"] * L, "A2": ["G"] * L})
    io.write_bed(tmp_path / "train", rng.binomial(2, 0.3, (n, L)).astype(np.int8),
                 pl.DataFrame({"FID": ids, "IID": ids, "SEX": [0] * n, "PHENO": ["2", "1"] * (n // 2)}), bim)
    mods = _loads("from snpgen.baseline import sample_baseline_files; "
                  f"sample_baseline_files({str(tmp_path / 'train.bed')!r}, {str(tmp_path / 'syn.bed')!r}, "
                  f"{str(tmp_path / 'syn.pheno.tsv')!r}, n=30, seed=1, log=lambda s: None)")
    assert (tmp_path / "syn.bed").exists() and (tmp_path / "syn.fam").exists()
    assert "torch" not in mods and not any(m.startswith("snpgen.models") for m in mods)
    # the leaky calibration reference (rule sample_leaky) takes the same path
    mods = _loads("from snpgen.baseline import sample_leaky_files; "
                  f"sample_leaky_files({str(tmp_path / 'train.bed')!r}, {str(tmp_path / 'lk.bed')!r}, "
                  f"{str(tmp_path / 'lk.pheno.tsv')!r}, n=30, share=0.01, seed=1, log=lambda s: None)")
    assert (tmp_path / "lk.bed").exists() and "torch" not in mods


def test_models_train_and_package_init_do_not_import_each_other():
    import ast

    tree = ast.parse((ROOT / "workflow/snpgen/models/train.py").read_text())
    from_pkg = [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level == 1 and not n.module]
    assert not from_pkg, "models/train.py imports from its package __init__ (an import cycle)"
    # and train imports on its own, first, with no partially initialised package in the way
    mods = _loads("import snpgen.models.train")
    assert {"snpgen.models.runtime", "snpgen.models.train"} <= mods


def test_models_reexports_unchanged():
    mods = _loads("from snpgen.models import (pick_device, seed_everything, autocast, package_versions, GenotypeVAE, "
                  "impute_missing, train_vae, load_checkpoint); from snpgen.models.vae import allele_freqs; "
                  "from snpgen.models.train import genotype_freqs, fam_labels, bed_prefix")
    assert "torch" in mods

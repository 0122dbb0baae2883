"""Render the shareable per-disease report and the index page.

Everything shown comes from aggregate outputs of the run (summaries, metrics JSON, training
histories, figures); nothing here reads genotypes or sample tables. Inputs that are absent are
not an error: their section shows a visible "Not available" note naming the missing file, and
the page carries a banner listing every gap (tolerant, but loud).

The inputs arrive as a mapping name -> path (:class:`ReportInputs`), the named inputs of rule
render_report (``report_inputs`` in workflow/rules/common.smk); nothing here builds a path from the
results folder. Names (the workflow's files in brackets, ``{d}`` = disease):

- ``qc`` (``qc/qc_summary.json``), ``validated`` (``inputs/validated.json``)
- ``split`` (``{d}/split/split_summary.json``)
- ``gwas``, ``glm`` (``{d}/gwas/gwas_summary.json``, ``{d}/gwas/gwas.glm.tsv``)
- ``selection``, ``snps`` (``{d}/selection/selection_summary.json``, ``{d}/selection/snps.txt``)
- ``vae_history``, ``vae_curve``, ``diffusion_history``, ``diffusion_curve`` (``{d}/model/...``)
- ``metrics_{gen}``, ``figures_{gen}`` (``{d}/metrics/{gen}.json``, the folder ``{d}/metrics/figures/{gen}``;
  docs/metrics.md), ``prs`` (``{d}/metrics/prs.json``)

Every count describing real individuals goes through :func:`snpgen.report.suppress_small`.
"""
from __future__ import annotations

import base64
import json
import math
import os
import shutil
from pathlib import Path

from ..evaluate import registry
from ..nested import get_in as _get
from . import cell_threshold, is_suppressed, min_cell_count, round_count, suppress_parts, suppress_small

TEMPLATES = Path(__file__).parent / "templates"
DEFAULT_GENERATORS = ("matched", "augmented", "baseline", "leaky")

GENERATOR_ROLES = {
    "matched": "synthetic cohort, training case fraction",
    "augmented": "synthetic cohort, class-balanced",
    "baseline": "trivial baseline: independent per-class allele-frequency sampler (reference; the safe end of the "
                "attack scale)",
    "leaky": ("calibration reference, never for release: copies of training records with a small share of genotypes "
              "redrawn (leaks by construction; the leaky end of the attack scale; privacy evaluated only)"),
}
REFERENCE_GENERATORS = {"baseline", "leaky"}
# evaluated for privacy only (no utility or fidelity sections, privacy checks only in the verdict)
PRIVACY_ONLY_GENERATORS = {"leaky"}
# the two ends of the 0-100 attack scale: safe (0) and leaky (100)
SAFE_REFERENCE, LEAKY_REFERENCE = "baseline", "leaky"
ATTACK_NAMES = {
    "density_pca": "Density ratio on principal components (DOMIAS-style)",
    "density_genotype": "Density ratio with a genotype kernel",
    "segment_replay": "Segment replay (longest identical run with the nearest synthetic record)",
    "attribute": "Trait-linked membership (disease status inferred from the synthetic cohort)",
    "allele_frequency_lr": "Allele-frequency likelihood ratio (Homer / Sankararaman: per-class frequencies)",
}

# labels and units of the verdict checks and of the metrics in the section tables: snpgen.evaluate.registry
CLASS_NAMES = {"overall": "all", "case": "cases", "control": "controls"}

# name -> (section, title, plain-language caption)
FIGURE_SPECS: dict[str, tuple[str, str, str]] = {
    "roc.png": ("utility", "ROC curves on the real test split",
                "How well a classifier separates cases from controls among real people it never saw "
                "(the test split). TRTR = trained on the real training split; TSTR = trained on this "
                "synthetic cohort. Curves on top of each other mean the synthetic data carries the same "
                "disease signal; the dotted diagonal is a coin flip (AUC 0.5)."),
    "af_scatter.png": ("fidelity", "Allele frequencies",
                       "Each dot is one selected SNP: how common its counted allele is among the real "
                       "training individuals (x) and in the synthetic cohort (y). Dots on the diagonal "
                       "mean the synthetic cohort reproduces the allele frequencies."),
    "ld_heatmap.png": ("fidelity", "Linkage disequilibrium in one window",
                       "Correlation (r²) between neighbouring SNPs in the window with the most real LD: "
                       "real training data left, synthetic right. Matching patterns mean the generator "
                       "keeps the correlation between nearby SNPs; the baseline sampler draws every SNP "
                       "independently, so its right panel is empty."),
    "ld_decay.png": ("fidelity", "LD decay with distance",
                     "Average r² between pairs of selected SNPs by their distance along the chromosome "
                     "(kilobases), real vs synthetic. Real LD falls with distance; a faithful generator "
                     "follows the same curve."),
    "pca.png": ("fidelity", "Population structure (principal components)",
                "Density of individuals on the first two principal components of the real training "
                f"genotypes: real left, synthetic right (projected on the same axes). Grid cells with "
                "fewer than {min_count} people are blank, so no small group of real people can be singled out."),
    "pca_wasserstein.png": ("fidelity", "Distance between real and synthetic PC distributions",
                            "Per principal component, how far the synthetic distribution lies from the "
                            "real training one (Wasserstein distance in standard deviations of the real "
                            "PC score). The second bar, real test vs real training, is the difference "
                            "expected from sampling alone."),
    "het_hwe.png": ("fidelity", "Heterozygosity and Hardy-Weinberg equilibrium",
                    "Left: how heterozygous each genome is (inbreeding coefficient F), real vs synthetic. "
                    "Right: Hardy-Weinberg test p-values per SNP against their expectation; synthetic "
                    "points far above the diagonal are genotype combinations real populations do not show."),
    "gwas_beta.png": ("fidelity", "GWAS effects: synthetic vs real",
                      "Each dot is one selected SNP: its effect on disease risk (log odds ratio) in the "
                      "real training GWAS (x) and in a GWAS run on the synthetic cohort (y). Dots along "
                      "the diagonal mean the synthetic cohort reproduces the genetic associations."),
    "effects_truth.png": ("fidelity", "GWAS effects against the simulated true effects",
                          "Simulated cohorts only. Each point is one selected SNP that is truly causal: its true "
                          "effect per allele (x) and its effect estimated by a GWAS (y, log odds ratio, adjusted "
                          "for principal components) in the real training split, in held-out real people and in "
                          "the synthetic cohort. Points on one rising line in all three mean the synthetic cohort "
                          "carries the true genetic effects; the held-out real people show the scatter that "
                          "sampling alone gives."),
    "dcr_hist.png": ("privacy", "Distance to the closest training record",
                     "For every synthetic record, the genetic distance to the most similar real training "
                     "record, next to the same distance for real people who were NOT used for training. "
                     "If synthetic records sat much closer to training records than unseen people do, the "
                     "generator would be copying individuals; overlapping histograms are the safe outcome."),
    "mia_roc.png": ("privacy", "Membership-inference attack",
                    "An attacker holding a person's full genotype guesses whether that person was in the "
                    "training data from how close the synthetic cohort comes to them. Hit rate against "
                    "false-alarm rate on log scales; a curve on the dotted diagonal means the attack does "
                    "no better than guessing. The dashed line marks a 1% false-alarm rate."),
}
SECTION_FIGURES = {s: [n for n, spec in FIGURE_SPECS.items() if spec[0] == s]
                   for s in ("utility", "fidelity", "privacy")}
WIDE_FIGURES = {"ld_heatmap.png", "pca.png", "het_hwe.png"}
TRUTH_FIGURES = ("effects_truth.png",)  # only where the cohort is simulated (truth.json)
# figures copied next to the report for Snakemake's --report (one per generator)
KEY_FIGURES = ("roc.png", "af_scatter.png", "ld_heatmap.png", "pca.png", "dcr_hist.png", "mia_roc.png")


# --------------------------------------------------------------------------- formatting
def _num(x):
    if x is None or isinstance(x, bool):
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def fmt(x, digits: int = 3, missing: str = "n/a") -> str:
    v = _num(x)
    if v is None:
        return missing
    if v != 0 and (abs(v) < 10 ** -digits or abs(v) >= 1e6):
        return f"{v:.2e}"
    return f"{v:.{digits}f}"


def fmt_p(x, missing: str = "n/a") -> str:
    v = _num(x)
    if v is None:
        return missing
    return f"{v:.2e}" if v < 1e-3 else f"{v:.3f}"


def fmt_ci(v, lo, hi, digits: int = 3) -> str:
    s = fmt(v, digits)
    if _num(v) is not None and _num(lo) is not None and _num(hi) is not None:
        s += f" [{fmt(lo, digits)}, {fmt(hi, digits)}]"
    return s


def fmt_int(x, missing: str = "n/a") -> str:
    """A count that does NOT describe real individuals (SNPs, pairs of synthetic records)."""
    v = _num(x)
    return missing if v is None else f"{int(round(v)):,}"


def fmt_threshold(threshold, comparison: str) -> str:
    if comparison == "in" and isinstance(threshold, (list, tuple)) and len(threshold) == 2:
        return f"within [{fmt(threshold[0], 2)}, {fmt(threshold[1], 2)}]"
    sym = {"<=": "≤", ">=": "≥"}.get(comparison, comparison)
    return f"{sym} {fmt(threshold, 3)}"


def real_fraction(num, den, complement=None, digits: int = 3) -> str:
    """A fraction of real individuals (cases / people), withheld when the numerator, the
    denominator or the complement (controls) is small: a fraction next to a total would give
    the small count away."""
    if _num(num) is None or not _num(den):
        return "n/a"
    comp = complement if complement is not None else float(den) - float(num)
    if is_suppressed(num) or is_suppressed(den) or is_suppressed(comp):
        return "suppressed"
    return fmt(float(num) / float(den), digits)


def _split_small(split: dict, name: str) -> bool:
    """True when a split's cases or controls are small (its case fraction must be withheld)."""
    r = (split or {}).get(name) or {}
    return is_suppressed(r.get("cases")) or is_suppressed(r.get("controls"))


# --------------------------------------------------------------------------- reading
def load_json(path: Path):
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError:
        return None


def _optional_json(inp: "ReportInputs", name: str):
    """A named input's JSON, or None when the rule was not given that input (older runs, tests)."""
    return load_json(inp.path(name)) if name in inp.paths else None


def read_history(path: Path) -> list[dict] | None:
    if not Path(path).exists():
        return None
    import polars as pl

    df = pl.read_csv(path, separator="\t", null_values=["NA", "nan", "NaN", ""], infer_schema_length=10000)
    return df.to_dicts()


def png_data_uri(path: str | Path) -> str:
    return "data:image/png;base64," + base64.b64encode(Path(path).read_bytes()).decode("ascii")


class Gaps:
    """Collects what the report could not show (one entry per missing item)."""

    def __init__(self):
        self.items: list[dict] = []

    def add(self, section: str, item: str, reason: str) -> dict:
        note = {"section": section, "item": item, "reason": reason}
        self.items.append(note)
        return note


class ReportInputs:
    """The report's input files by name (see the module docstring). A missing file is reported by its
    path relative to the folder all the inputs share (the results folder, in the workflow)."""

    def __init__(self, paths):
        self.paths = {str(k): Path(v) for k, v in dict(paths).items()}
        common = os.path.commonpath([str(p.absolute()) for p in self.paths.values()]) if self.paths else "."
        self.root = Path(common)

    def path(self, name: str) -> Path:
        if name not in self.paths:
            raise KeyError(f"report input {name!r} not given (named inputs of rule render_report)")
        return self.paths[name]

    def figure(self, gen: str, name: str) -> Path:
        return self.path(f"figures_{gen}") / name

    def label(self, path: Path) -> str:
        return Path(os.path.relpath(Path(path).absolute(), self.root)).as_posix()


def _figure(path: Path, title: str, caption: str, label: str = "", wide: bool = False) -> dict:
    return {"src": png_data_uri(path), "title": title, "caption": caption, "label": label,
            "alt": f"{title}{' - ' + label if label else ''}", "wide": wide}


# --------------------------------------------------------------------------- sections
IMPORT_FORMATS = {"bfile": "PLINK 1 filesets", "pfile": "a PLINK 2 fileset", "vcf": "VCF/BCF", "bgen": "BGEN 1.2"}


def _imported(imp: dict | None) -> str | None:
    """One sentence on the import of a PLINK 2 / VCF / BGEN / per-chromosome input (variant counts only)."""
    if not imp:
        return None
    what = IMPORT_FORMATS.get(imp.get("format"), str(imp.get("format")))
    return (f"The genotypes came as {what} in {imp.get('parts')} part(s), converted to one PLINK 1 fileset by "
            f"plink2 (import_genotypes); {fmt_int(imp.get('multiallelic_dropped'))} multi-allelic variant(s) "
            f"were dropped on import.")


def _cohort_section(inp: ReportInputs, gaps: Gaps) -> dict:
    qc = load_json(inp.path("qc"))
    val = load_json(inp.path("validated"))
    sec: dict = {"available": qc is not None, "missing": []}
    if qc is None:
        sec["missing"].append(gaps.add("Cohort and QC", inp.label(inp.path("qc")), "file not found (QC has not run)"))
        return sec
    sec["input"] = {"individuals": suppress_small(_get(qc, "input", "individuals")),
                    "variants": fmt_int(_get(qc, "input", "variants"))}
    n_in, n_out = _num(_get(qc, "input", "individuals")), _num(_get(qc, "output", "individuals"))
    # before - after = people removed by QC: "after" is shown rounded when that difference is small
    hide_out = n_in is not None and n_out is not None and is_suppressed(max(n_in - n_out, 0)) \
        and not is_suppressed(n_out)
    sec["output"] = {"individuals": round_count(n_out) if hide_out else suppress_small(n_out),
                     "variants": fmt_int(_get(qc, "output", "variants"))}
    steps = qc.get("steps", [])
    # before and after totals are shown, so the removals per step are parts of a known total:
    # secondary "suppression" by rounding, so a large removal is never hidden (issue 20); the
    # running "people left" column is not shown (differencing).
    removed = suppress_parts([st.get("individuals_removed") for st in steps], round_secondary=True)
    sec["steps"] = [{
        "filter": st.get("filter", st.get("step", "")),
        "individuals_removed": rm,
        "variants_removed": fmt_int(st.get("variants_removed")),
        "variants_left": fmt_int(st.get("variants_left")),
    } for st, rm in zip(steps, removed)]
    sec["secondary"] = any(r.startswith("≈") for r in removed) or hide_out
    sec["warnings"] = [_qc_warning(w) for w in qc.get("warnings") or []]
    sec["imported"] = _imported(qc.get("import"))
    sec["covariates_missing"] = [{"name": k, "n": suppress_small(v)}
                                 for k, v in sorted((qc.get("covariates_missing") or {}).items())]
    pca = qc.get("pca") or {}
    ev = [v for v in (pca.get("eigenvalues") or []) if _num(v) is not None]
    sec["pca"] = {"n_pcs": pca.get("n_pcs", len(ev)), "eigenvalues": [fmt(v, 2) for v in ev],
                  "pruned_snps": fmt_int(pca.get("pruned_snps"))} if ev else None
    if val is not None:
        ph = val.get("phenotypes") or {}
        n_ph = _num(ph.get("individuals"))

        def with_status(v):  # people with a status + people without = the table's total
            w = _num((v or {}).get("with_status"))
            if w is None or n_ph is None:
                return suppress_small(w)
            return suppress_parts([w, max(n_ph - w, 0)], round_secondary=True)[0]

        sec["phenotypes"] = {
            "individuals": suppress_small(ph.get("individuals")),
            "not_in_fam": suppress_small(ph.get("not_in_fam")),
            "diseases": [{"name": k, "with_status": with_status(v)}
                         for k, v in sorted((ph.get("diseases") or {}).items())],
        }
    return sec


def _qc_warning(w: dict) -> str:
    """A QC warning (qc_summary.json) as shown: a count of people below the threshold in force
    (evaluate.min_cell_count, :func:`min_cell_count`) reads "<N" and its share is then withheld."""
    unit, removed, before = w.get("unit"), w.get("removed"), w.get("before")
    if unit == "individuals":
        small = is_suppressed(removed)
        count = f"{suppress_small(removed)} of {suppress_small(before)} people"
        share = "" if small else f" ({100 * float(w.get('fraction', 0)):.0f} %)"
    else:
        count, share = f"{fmt_int(removed)} of {fmt_int(before)} variants", f" ({100 * float(w.get('fraction', 0)):.0f} %)"
    return (f"QC step “{w.get('filter', w.get('step'))}” removed {count}{share}, more than the warning share "
            f"qc.warn_removed_fraction = {w.get('threshold')}. Likely cause: {w.get('likely_cause')}. "
            f"Key to change: {w.get('config_key')}.")


def _unavailable(inp: ReportInputs, gaps: Gaps, key: str, section: str) -> dict:
    """A section whose input file ``key`` is missing: not available, with its gap."""
    return {"available": False, "missing": [gaps.add(section, inp.label(inp.path(key)), "file not found")]}


def _split_section(inp: ReportInputs, gaps: Gaps) -> dict:
    s = load_json(inp.path("split"))
    if s is None:
        return _unavailable(inp, gaps, "split", "Split design")
    rows = []
    for name in ("train", "val", "test"):
        r = s.get(name) or {}
        cases, controls = suppress_parts([r.get("cases"), r.get("controls")])
        rows.append({"split": {"train": "training", "val": "validation", "test": "test"}[name],
                     "individuals": suppress_small(r.get("individuals")),
                     "cases": cases, "controls": controls,
                     "case_fraction": real_fraction(r.get("cases"), r.get("individuals"), r.get("controls"))})
    return {"available": True, "missing": [], "rows": rows}


def _gwas_section(inp: ReportInputs, d: str, figdir: Path, gaps: Gaps, n_train) -> dict:
    from . import gwas_plots

    summ = load_json(inp.path("gwas"))
    sec: dict = {"available": summ is not None, "missing": [], "figures": []}
    if summ is None:
        sec["missing"].append(gaps.add("GWAS", inp.label(inp.path("gwas")), "file not found"))
    else:
        sec["lambda_gc"] = fmt(summ.get("lambda_gc"), 3)
        sec["variants_tested"] = fmt_int(summ.get("variants_tested"))
        sec["variants_with_p"] = fmt_int(summ.get("variants_with_p"))
        sec["n_gws"] = fmt_int(summ.get("n_genome_wide_significant"))
        sec["n_suggestive"] = fmt_int(summ.get("n_p_below_1e-5"))
        sec["min_p"] = fmt_p(summ.get("min_p"))
        lam = _num(summ.get("lambda_gc"))
        sec["lambda_note"] = ("" if lam is None else
                              "close to 1: little inflation from population structure" if lam < 1.1 else
                              "above 1.1: test statistics are inflated (population structure, relatedness "
                              "or a polygenic signal in a small sample); read p-values with care")
    glm_path = inp.path("glm")
    if not glm_path.exists():
        sec["missing"].append(gaps.add("GWAS", inp.label(glm_path),
                                       "file not found: no Manhattan / QQ plot"))
        return sec
    from ..gwas import read_glm

    glm = read_glm(glm_path)
    snps_txt = inp.path("snps")
    selected = set(snps_txt.read_text().split()) if snps_txt.exists() else None
    figdir.mkdir(parents=True, exist_ok=True)
    man = gwas_plots.manhattan(glm, figdir / "manhattan.png", n_individuals=n_train, highlight=selected,
                               title=f"{d}: training-split GWAS")
    lam = _num(summ.get("lambda_gc")) if summ else None
    if lam is None:
        from ..qc import lambda_gc

        lam = lambda_gc(glm["Z"].drop_nulls().to_numpy())
    qqp = gwas_plots.qq(glm, figdir / "qq.png", lambda_gc=lam, n_individuals=n_train,
                        title=f"{d}: QQ plot, training-split GWAS")
    sec["figures"] = [
        _figure(man, "Manhattan plot of the training-split GWAS",
                "Each dot is one genetic variant, placed by its chromosome position; the higher the dot, "
                "the stronger its association with the disease in the training split. The red dashed "
                "line is the usual genome-wide significance level (p = 5×10⁻⁸), the grey dotted line "
                "a suggestive level (10⁻⁵)."
                + (" Orange dots are the SNPs selected to train the generator." if selected else ""),
                wide=True),
        _figure(qqp, "QQ plot of the training-split GWAS",
                "Observed against expected strength of association if no variant mattered. Points on "
                "the diagonal (inside the grey band) behave like chance; a lift at the right end is the "
                "real disease signal, a lift of the whole curve is inflation (λGC well above 1)."),
    ]
    return sec


def _selection_section(inp: ReportInputs, gaps: Gaps) -> dict:
    s = load_json(inp.path("selection"))
    if s is None:
        return _unavailable(inp, gaps, "selection", "Selected SNPs")
    rows = []
    for c in s.get("per_chromosome") or []:
        lo, hi = _num(c.get("first_bp")), _num(c.get("last_bp"))
        rows.append({"chrom": c.get("CHR", c.get("chrom", "")), "n": fmt_int(c.get("n")),
                     "first": fmt_int(lo), "last": fmt_int(hi),
                     "span_mb": fmt((hi - lo) / 1e6, 2) if lo is not None and hi is not None else "n/a"})
    cr = s.get("causal_recall")
    causal = None
    if isinstance(cr, dict):
        causal = {"n_causal": fmt_int(cr.get("n_causal")), "selected": fmt_int(cr.get("causal_selected")),
                  "recall": fmt(cr.get("recall_selected"), 2),
                  "tagged": fmt_int(cr.get("causal_selected_or_tagged")),
                  "recall_tagged": fmt(cr.get("recall_selected_or_tagged"), 2)}
    gap = _num(s.get("median_gap_bp"))
    return {"available": True, "missing": [], "n_selected": fmt_int(s.get("n_selected")),
            "method": s.get("method", "n/a"), "n_candidates": fmt_int(s.get("n_candidates")),
            "n_gws": fmt_int(s.get("n_genome_wide_significant")), "p_min": fmt_p(s.get("p_min")),
            "p_max": fmt_p(s.get("p_max")), "median_gap_kb": fmt(gap / 1e3, 1) if gap is not None else "n/a",
            "per_chromosome": rows, "causal": causal}


def _sampling_rows(sampling: dict | None, readout: dict | None = None) -> list[tuple[str, str, str]]:
    """How the synthetic cohorts were drawn (the run's `sampling` settings, and the read-out pair
    the matched cohort used: sample_cohort's readout.json)."""
    if not sampling:
        return []
    steps = "all training steps" if sampling.get("sampler") == "ddpm" else f"{sampling.get('steps')} steps"
    rows = [
        ("Sampling: classifier-free guidance scale", fmt(_num(sampling.get("guidance_scale")), 1),
         "1 = the plain label-conditional model; above 1 exaggerates case-control differences"),
        ("Sampling: sampler", f"{sampling.get('sampler')}, {steps}", "-"),
        ("Sampling: genotype calls", str(sampling.get("hard_calls")),
         "sample = drawn from the decoder's genotype probabilities"),
    ]
    if readout:
        cal = readout.get("calibration")
        how = (f"calibrated: the closest of {len(cal['grid'])} settings to {fmt_int(cal['n'])} real training "
               "people in mean F, LD strength and HWE failures"
               + (" and the distance on the leading PCs (population structure)"
                  if any(r.get("pc_distance") for r in cal.get("grid", [])) else "")
               if cal else "fixed (sampling.calibrate_readout off)")
        rows.append(("Sampling: read-out temperature / lag gain",
                     f"{fmt(_num(readout.get('temperature')), 2)} / {fmt(_num(readout.get('ar_gain')), 2)}", how))
        tried = bool(cal) and any(r.get("offsets") for r in cal.get("grid", []))
        if tried and readout.get("genotype_offsets") is None:
            rows.append(("Sampling: per-SNP genotype offsets", "off",
                         "tried by the calibration; a setting without them was as close to the real "
                         "training people (sampling.genotype_frequency_offsets)"))
        if readout.get("genotype_offsets") is not None:
            off = readout["genotype_offsets"]  # (3, L) lists, or (K, 3, L) per ancestry cluster
            k = len(off) if off and isinstance(off[0], list) and off[0] and isinstance(off[0][0], list) else 1
            rows.append(("Sampling: per-SNP genotype offsets", f"on, per ancestry cluster ({k})" if k > 1 else "on",
                         "chosen by the calibration for this model: each SNP's genotype frequencies moved "
                         "towards the real training split's" + (" in each ancestry cluster" if k > 1 else "")
                         + " (a population statistic; its sampling noise shrunk out first, "
                         "sampling.genotype_offset_shrinkage), so that Hardy-Weinberg and inbreeding F follow "
                         "the real cohort's"))
    return rows


def _training_section(inp: ReportInputs, gaps: Gaps, sampling: dict | None = None) -> dict:
    out: dict = {}
    # VAE
    vae: dict = {"missing": [], "figure": None, "rows": []}
    hist = read_history(inp.path("vae_history"))
    if hist:
        # train_vae marks the epoch it kept (``kept`` = 1); the label only names its rule
        kept = [r for r in hist if _num(r.get("kept")) == 1]
        best = kept[0] if kept else {}
        frozen = sum(1 for r in hist if _num(r.get("encoder_frozen")) == 1)
        rule = ("lowest validation cross-entropy of the autoregressive read-out"
                if any(_num(r.get("val_recon_ce_ar")) is not None for r in hist)
                else "highest validation reconstruction accuracy")
        if frozen:
            rule += ", among the epochs from the one the encoder was frozen at"
        best_label = f"Best epoch (kept: {rule})"
        last = hist[-1]
        secs = sum(_num(r.get("seconds")) or 0.0 for r in hist)
        acc, triv = _num(best.get("val_recon_acc")), _num(best.get("val_trivial_acc"))
        vae["rows"] = [
            ("Epochs run", fmt_int(len(hist)), "epochs"),
            *([("Epochs with the encoder and phenotype head frozen (their validation AUC had stopped "
                "improving; only the decoder and read-out trained)", fmt_int(frozen), "epochs")] if frozen else []),
            (best_label, fmt_int(best.get("epoch")), "epoch"),
            ("Validation reconstruction accuracy at the best epoch", fmt(acc, 4), "fraction of genotypes"),
            ("Trivial level: always predict each SNP's most common genotype", fmt(triv, 4), "fraction of genotypes"),
            ("Gain over the trivial level", fmt(acc - triv, 4) if acc is not None and triv is not None else "n/a",
             "fraction of genotypes"),
            ("Phenotype-head AUC on the validation split, best epoch", fmt(best.get("val_auc"), 3), "AUC"),
            ("Final training loss", fmt(last.get("train_loss"), 4), "nats per SNP"),
            ("Training time", fmt(secs / 60, 1), "minutes"),
        ]
        if acc is not None and triv is not None and acc - triv < 0.005:
            vae["warning"] = ("The VAE barely beats the trivial reconstruction level: it has learned little "
                              "beyond allele frequencies.")
    else:
        vae["missing"].append(gaps.add("Training", inp.label(inp.path("vae_history")),
                                       "file not found (VAE not trained)"))
    _training_curve(vae, inp, gaps, "vae_curve", "VAE training curves",
                    "Loss and validation metrics of the genotype autoencoder per epoch. The "
                    "reconstruction accuracy should rise clearly above the trivial level (always "
                    "guessing each SNP's most common genotype); the phenotype-head AUC shows how "
                    "much disease signal the compressed representation keeps.")
    out["vae"] = vae
    # diffusion
    dif: dict = {"missing": [], "figure": None, "rows": []}
    hist = read_history(inp.path("diffusion_history"))
    if hist:
        last = hist[-1]
        secs = sum(_num(r.get("seconds")) or 0.0 for r in hist)
        dif["rows"] = [
            ("Epochs run", fmt_int(len(hist)), "epochs"),
            ("Optimiser steps", fmt_int(last.get("step")), "steps"),
            ("Final training loss", fmt(last.get("train_loss"), 4), "noise-prediction MSE"),
            ("Final fixed-batch loss, with disease label", fmt(last.get("eval_loss_cond"), 4), "noise-prediction MSE"),
            ("Final fixed-batch loss, label withheld", fmt(last.get("eval_loss_uncond"), 4), "noise-prediction MSE"),
            ("Training time", fmt(secs / 60, 1), "minutes"),
        ] + _sampling_rows(sampling, _optional_json(inp, "readout"))
    else:
        dif["missing"].append(gaps.add("Training", inp.label(inp.path("diffusion_history")),
                                       "file not found (diffusion model not trained)"))
    _training_curve(dif, inp, gaps, "diffusion_curve", "Latent diffusion training curves",
                    "Loss of the diffusion model that generates new compressed genomes, per "
                    "epoch. The fixed-batch loss with the disease label below the one without it "
                    "means the model uses the label.")
    out["diffusion"] = dif
    return out


def _training_curve(part: dict, inp: ReportInputs, gaps: Gaps, key: str, title: str, caption: str) -> None:
    """A training section's curve figure, or its gap when the file is missing."""
    if inp.path(key).exists():
        part["figure"] = _figure(inp.path(key), title, caption, wide=True)
    else:
        part["missing"].append(gaps.add("Training", inp.label(inp.path(key)), "file not found"))


def check_label(name: str) -> tuple[str, str]:
    """(label, unit) of a release check for the verdict table (declared in the metric registry)."""
    return registry.check_label(name)


# What a core can try when a synthetic cohort fails a check that has a lever in the config (shown
# under the release-check table; the references are expected to fail and get none).
FAILED_CHECK_HINTS = {
    "privacy_loss": "what to try: retrain with model.diffusion.latent_noise 0.2 (then higher in small "
                    "steps), which trains the diffusion on draws from each person's VAE posterior instead "
                    "of its mean; it lowers a loss above the population reference's at a cost in utility "
                    "and LD strength that grows with it (docs/metrics.md, privacy_loss)",
}


def _verdict_section(metrics: dict[str, dict | None], generators: list[str]) -> dict:
    gens = []
    order: list[str] = []
    checks: dict[str, dict] = {}
    for g in generators:
        m = metrics.get(g)
        v = (m or {}).get("verdict") if m else None
        entry = {"name": g, "role": GENERATOR_ROLES.get(g, "synthetic cohort"),
                 "reference": g in REFERENCE_GENERATORS, "calibration": g in PRIVACY_ONLY_GENERATORS,
                 "available": bool(v)}
        if v:
            entry.update(decision=v.get("decision", "n/a"), passed=bool(v.get("passed")),
                         failed=", ".join(v.get("failed_checks") or []) or "none")
            for c in v.get("checks") or []:
                if c["name"] not in checks:
                    order.append(c["name"])
                    checks[c["name"]] = {}
                checks[c["name"]][g] = c
        gens.append(entry)
    rows = []
    notes = []
    for name in order:
        label, unit = check_label(name)
        cells, failed_synthetic = [], []
        for g in generators:
            c = checks[name].get(g)
            if c is None:
                cells.append({"value": "n/a", "status": "missing", "text": "not available", "note": ""})
                continue
            st = {True: "pass", False: "fail", None: "na"}[c.get("passed")]
            note = c.get("note") or ""
            if note:
                notes.append(f"{g}, {name}: {note}")
            if st == "fail" and g not in REFERENCE_GENERATORS:
                failed_synthetic.append(g)
            digits = 4 if name in {"identical_match_rate", "hwe_failure_share", "het_f_distance"} else 3
            cells.append({"value": fmt(c.get("value"), digits),
                          "status": st, "text": {"pass": "PASS", "fail": "FAIL", "na": "not applicable"}[st],
                          "note": note})
        if failed_synthetic and name in FAILED_CHECK_HINTS:  # once per check, naming every cohort
            notes.append(f"{', '.join(failed_synthetic)}, {name} failed: {FAILED_CHECK_HINTS[name]}")
        rows.append({"name": name, "label": label, "unit": unit, "threshold": _thresholds_text(checks[name]),
                     "cells": cells})
    return {"generators": gens, "rows": rows, "notes": notes,
            "any": any(g["available"] for g in gens)}


def _by_generator_text(texts: dict[str, str], missing: str) -> str:
    """One text where every generator has the same, else one per group of generators that share it
    ("0.040 (matched, baseline) / 0.070 (augmented)"); ``missing`` when there is none."""
    groups: dict[str, list[str]] = {}
    for g, t in texts.items():
        groups.setdefault(t, []).append(g)
    if len(groups) <= 1:
        return next(iter(groups), missing)
    return " / ".join(f"{t} ({', '.join(gs)})" for t, gs in groups.items())


def _thresholds_text(by_generator: dict[str, dict]) -> str:
    """A check's threshold as text: one, or one per group of generators where they differ (limits
    from a reference weighted to each cohort's case fraction, e.g. the structure checks)."""
    return _by_generator_text({g: fmt_threshold(c.get("threshold"), c.get("comparison", ""))
                               for g, c in by_generator.items()}, "")


def _gen_figures(inp: ReportInputs, section: str, metrics: dict[str, dict | None],
                 generators: list[str], gaps: Gaps) -> list[dict]:
    """Figure groups of one section: one group per figure kind, one figure per generator."""
    groups = []
    for name in SECTION_FIGURES[section]:
        _, title, caption = FIGURE_SPECS[name]
        caption = caption.replace("{min_count}", str(min_cell_count()))
        if name in TRUTH_FIGURES and not any(_get(metrics.get(g), "fidelity", "effects", "vs_truth") for g in generators):
            continue  # a real cohort has no true effects: not applicable, no gap
        grp = {"title": title, "figures": [], "missing": [], "wide": name in WIDE_FIGURES, "structure": None}
        for g in generators:
            m = metrics.get(g)
            if m is None:
                continue  # the whole generator is reported missing once, in the section note
            path = inp.figure(g, name)
            if path.exists():
                grp["figures"].append(_figure(path, title, caption, label=g, wide=name in WIDE_FIGURES))
            else:
                why = "not produced by the evaluation"
                if name in ("gwas_beta.png", *TRUTH_FIGURES) and _get(m, "fidelity", "gwas", "note"):
                    why = m["fidelity"]["gwas"]["note"]
                grp["missing"].append(gaps.add(section.capitalize(), inp.label(path), why))
        groups.append(grp)
    return groups


def _utility_section(inp: ReportInputs, metrics, generators, prs, gaps: Gaps, split: dict) -> dict:
    rows = []
    for g in generators:
        u = _get(metrics.get(g), "utility")
        if not isinstance(u, dict):
            continue
        for model, r in u.items():
            if not isinstance(r, dict) or "tstr" not in r:
                continue
            deg = [k.upper() for k in ("trtr", "tstr") if _get(r, k, "fit", "degenerate")]
            rows.append({
                "generator": g, "model": {"logreg": "logistic regression (L2)",
                                          "hgb": "gradient boosting"}.get(model, model),
                "trtr": fmt_ci(_get(r, "trtr", "auc"), _get(r, "trtr", "ci_low"), _get(r, "trtr", "ci_high")),
                "tstr": fmt_ci(_get(r, "tstr", "auc"), _get(r, "tstr", "ci_low"), _get(r, "tstr", "ci_high")),
                "ratio": fmt_ci(r.get("ratio"), r.get("ratio_ci_low"), r.get("ratio_ci_high")),
                "delta": fmt_ci(r.get("delta"), r.get("delta_ci_low"), r.get("delta_ci_high")),
                "vs_baseline": (fmt_ci(_get(r, "vs_baseline", "delta"), _get(r, "vs_baseline", "delta_ci_low"),
                                       _get(r, "vs_baseline", "delta_ci_high"))
                                if isinstance(r.get("vs_baseline"), dict) else "–"),
                "headroom": (fmt_ci(_get(r, "vs_baseline", "real_delta"), _get(r, "vs_baseline", "real_delta_ci_low"),
                                    _get(r, "vs_baseline", "real_delta_ci_high"))
                             if _get(r, "vs_baseline", "real_delta") is not None else "–"),
                "degenerate": (", ".join(deg) + ": one class only, constant score") if deg else "",
            })
    sizes = []
    for g in generators:
        s = _get(metrics.get(g), "sizes")
        if isinstance(s, dict):
            sizes.append({"generator": g, "n_snps": fmt_int(s.get("n_snps")),
                          "n_synthetic": fmt_int(s.get("n_synthetic")),
                          "cf_synthetic": fmt(s.get("case_fraction_synthetic"), 3),
                          "n_train": suppress_small(s.get("n_train")), "n_test": suppress_small(s.get("n_test")),
                          "cf_train": ("suppressed" if is_suppressed(s.get("n_train")) or _split_small(split, "train")
                                       else fmt(s.get("case_fraction_train"), 3)),
                          "cf_test": ("suppressed" if is_suppressed(s.get("n_test")) or _split_small(split, "test")
                                      else fmt(s.get("case_fraction_test"), 3))})
    ci_level = next((_get(metrics[g], "utility", "ci_level") for g in generators if metrics.get(g)), None)
    n_boot = next((_get(metrics[g], "utility", "n_bootstrap") for g in generators if metrics.get(g)), None)
    sec = {"rows": rows, "sizes": sizes, "ci_level": fmt(ci_level, 2) if ci_level else "0.95",
           "n_bootstrap": fmt_int(n_boot), "missing": [],
           "figures": _gen_figures(inp, "utility", metrics, generators, gaps)}
    p = _get(prs, "prs")
    if isinstance(p, dict):
        t = p.get("test") or {}
        dl = t.get("delta_prs_pcs_vs_pcs") or {}
        sec["prs"] = {
            "prs": fmt_ci(_get(t, "prs", "auc"), _get(t, "prs", "ci_low"), _get(t, "prs", "ci_high")),
            "pcs": fmt_ci(_get(t, "pcs", "auc"), _get(t, "pcs", "ci_low"), _get(t, "pcs", "ci_high")),
            "prs_pcs": fmt_ci(_get(t, "prs_pcs", "auc"), _get(t, "prs_pcs", "ci_low"), _get(t, "prs_pcs", "ci_high")),
            "delta": fmt_ci(dl.get("delta", dl.get("auc")), dl.get("ci_low"), dl.get("ci_high")),
            "threshold": fmt_p(p.get("chosen_threshold")), "n_snps": fmt_int(p.get("n_snps_chosen")),
            "n_index": fmt_int(p.get("n_index_snps")), "n_gwas": fmt_int(p.get("n_gwas_snps")),
            "clump": f"r² {fmt(p.get('clump_r2'), 2)}, {fmt_int(p.get('clump_kb'))} kb",
            "n_val": suppress_small(p.get("n_val")), "n_test": suppress_small(p.get("n_test")),
            "n_pcs": fmt_int(p.get("n_pcs")),
            "thresholds": [{"p": fmt_p(r.get("p_threshold")), "n_snps": fmt_int(r.get("n_snps")),
                            "val_auc": fmt(r.get("val_auc"), 3)} for r in p.get("thresholds") or []],
        }
    else:
        sec["prs"] = None
        sec["missing"].append(gaps.add("Utility", inp.label(inp.path("prs")),
                                       "file not found: no polygenic-score comparison"))
    return sec


def _ref(metrics: dict[str, dict | None], generators: list[str], *keys):
    for g in generators:
        v = _get(metrics.get(g), *keys)
        if v is not None:
            return v
    return None


def _table(rows_spec, metrics, generators) -> list[dict]:
    """rows_spec: (label, unit, fn(m) -> str, ref_str). One cell per available generator."""
    rows = []
    for label, unit, fn, ref in rows_spec:
        rows.append({"label": label, "unit": unit, "ref": ref,
                     "cells": [fn(metrics[g]) for g in generators if metrics.get(g)]})
    return rows


def _row(path: str, fn, ref: str, *fill) -> tuple:
    """A table row spec whose label and unit are the registry's for ``path``."""
    return (*registry.row(path, *fill), fn, ref)


def _fidelity_section(inp: ReportInputs, metrics, generators, gaps: Gaps) -> dict:
    G = generators
    AF = ("fidelity", "allele_frequency")
    LD = ("fidelity", "ld")
    PCA = ("fidelity", "pca")
    HH = ("fidelity", "het_hwe")
    GW = ("fidelity", "gwas")

    def g(*k):
        return lambda m: _get(m, *k)

    def f(*k, digits=3):
        return lambda m: fmt(_get(m, *k), digits)

    spec = [
        _row("fidelity.allele_frequency.correlation", f(*AF, "correlation", digits=4),
             fmt(_ref(metrics, G, *AF, "holdout_correlation"), 4)),
        _row("fidelity.allele_frequency.mean_abs_diff", f(*AF, "mean_abs_diff", digits=4), "-"),
        _row("fidelity.allele_frequency.q95_abs_diff", f(*AF, "q95_abs_diff", digits=4), "-"),
        _row("fidelity.allele_frequency.n_monomorphic_synthetic",
             lambda m: fmt_int(_get(m, *AF, "n_monomorphic_synthetic")), "-"),
        _row("fidelity.ld.correlation", f(*LD, "correlation"), fmt(_ref(metrics, G, *LD, "holdout_correlation"))),
        _row("fidelity.ld.correlation_informative", f(*LD, "correlation_informative"), "-",
             fmt(_ref(metrics, G, *LD, "informative_r2"), 2)),
        _row("fidelity.ld.per_window_mean_correlation", f(*LD, "per_window_mean_correlation"),
             fmt(_ref(metrics, G, *LD, "holdout_per_window_mean_correlation"))),
        _row("fidelity.ld.mean_r2_synthetic", f(*LD, "mean_r2_synthetic"), fmt(_ref(metrics, G, *LD, "mean_r2_real"))),
        _row("fidelity.ld.strength_ratio", f(*LD, "strength_ratio"),
             fmt(_ref(metrics, G, *LD, "holdout_strength_ratio"))),
        ("SNP pairs compared / with real LD", "SNP pairs",
         lambda m: f"{fmt_int(_get(m, *LD, 'n_pairs'))} / {fmt_int(_get(m, *LD, 'n_pairs_informative'))}", "-"),
        _row("fidelity.pca.mean_wasserstein_synthetic", f(*PCA, "mean_wasserstein_synthetic"),
             fmt(_ref(metrics, G, *PCA, "mean_wasserstein_holdout"))),
        ("Mean inbreeding coefficient F (reference: real train)", "F", f(*HH, "synthetic", "het_F_mean"),
         fmt(_ref(metrics, G, *HH, "real_train", "het_F_mean"))),
        _row("fidelity.het_hwe.f_distance.wasserstein", f(*HH, "f_distance", "wasserstein", digits=4),
             fmt(_ref(metrics, G, *HH, "f_distance", "holdout_wasserstein"), 4)),
        _row("fidelity.het_hwe.f_distance.mean_diff", f(*HH, "f_distance", "mean_diff", digits=4),
             fmt(_ref(metrics, G, *HH, "f_distance", "holdout_mean_diff"), 4)),
        _row("fidelity.het_hwe.synthetic.hwe_frac_below", f(*HH, "synthetic", "hwe_frac_below"),
             fmt(_ref(metrics, G, *HH, "real_train", "hwe_frac_below"))),
        _row("fidelity.gwas.beta_correlation", f(*GW, "beta_correlation"), "-"),
        _row("fidelity.gwas.sign_concordance", f(*GW, "sign_concordance"), "-"),
        _row("fidelity.gwas.sign_concordance_real_significant", f(*GW, "sign_concordance_real_significant"), "-"),
        _row("fidelity.gwas.regression_slope_syn_on_real", f(*GW, "regression_slope_syn_on_real"), "-"),
    ]
    rows = _table(spec, metrics, G)
    notes = [f"{x}: {_get(metrics[x], *GW, 'note')}" for x in G
             if metrics.get(x) and _get(metrics[x], *GW, "note")]
    if any(_get(metrics[x], *GW, "regression_slope_syn_on_real") is not None for x in G if metrics.get(x)):
        notes.append(
            "Reading the effect slope: the real training GWAS is run on the individuals the SNPs were "
            "selected on, so its effects carry selection noise (winner's curse) on top of the true effects. "
            "The per-class allele-frequency baseline copies that noise and scores a slope near 1 by "
            "construction; a model that reproduces the true signal but only part of the noise scores below 1. "
            "Read the slope together with utility (TSTR) and the comparison with held-out real people (and, "
            "for a simulated cohort, the true effects) below.")
    figs = _gen_figures(inp, "fidelity", metrics, G, gaps)
    TH = ("verdict", "thresholds")
    structure = {"rows": _structure_rows(metrics, G), "clusters": _cluster_table(metrics, G), "min_count": min_cell_count(),
                 "pc_factor": fmt(_ref(metrics, G, *TH, "structure_pc_factor"), 1),
                 "pc_floor": fmt(_ref(metrics, G, *TH, "structure_pc_floor"), 2)}
    for grp in figs:  # the structure tables sit under the PCA panels
        if grp["title"] == FIGURE_SPECS["pca_wasserstein.png"][1]:
            grp["structure"] = structure
    return {"rows": rows, "effects": _effects_table(metrics, G), "notes": notes, "figures": figs, "structure": structure,
            "qc": _genotype_qc_section(metrics, G, gaps)}


def _effects_cells(ef: dict, who: str, has_truth: bool, levels: list[str]) -> list[str]:
    """One row of the effects table: ``who`` (real_train, holdout, synthetic) in ``fidelity.effects``."""
    cells = []
    if has_truth:
        t = _get(ef, "vs_truth", who, "causal")
        cells += [fmt(_get(t, "correlation")), fmt(_get(t, "slope"))]
    h = _get(ef, "vs_holdout", who)
    cells += ["–", "–"] if who == "holdout" else [fmt(_get(h, "correlation")), fmt(_get(h, "replication_slope"))]
    for lev in levels:
        r = _get(ef, "recovery", lev, who)
        cells += [fmt(_get(r, "tpr"), 2), fmt(_get(r, "fdr"), 2)]
    return cells


def _effects_sentence(ef: dict, ref: dict, gen: str, has_truth: bool, levels: list[str]) -> str:
    """The table in words, for one synthetic cohort against the two real references."""
    def v(d, *k, digits=2):
        return fmt(_get(d, *k), digits)
    out = []
    if has_truth:
        t, lev = ("vs_truth",), levels[0] if levels else None
        out.append(
            f"On the {fmt_int(_get(ref, *t, 'n_causal_selected'))} simulated causal SNPs among the selected ones, the "
            f"{gen} cohort's GWAS effects correlate r = {v(ef, *t, 'synthetic', 'causal', 'correlation')} with the "
            f"true effects (real training split {v(ref, *t, 'real_train', 'causal', 'correlation')}, held-out real "
            f"people {v(ref, *t, 'holdout', 'causal', 'correlation')})"
            + (f" and reach significance (p < {lev}) for a share {v(ef, 'recovery', lev, 'synthetic', 'tpr')} of "
               f"them (real training split {v(ref, 'recovery', lev, 'real_train', 'tpr')})." if lev else "."))
    out.append(
        f"In held-out real people, who took no part in choosing the SNPs, the {gen} cohort's effects correlate "
        f"r = {v(ef, 'vs_holdout', 'synthetic', 'correlation')} with theirs and replicate with slope "
        f"{v(ef, 'vs_holdout', 'synthetic', 'replication_slope')} (real training split: r = "
        f"{v(ref, 'vs_holdout', 'real_train', 'correlation')}, slope {v(ref, 'vs_holdout', 'real_train', 'replication_slope')}; "
        "a slope of 1 means the effects replicate at full size, below 1 that they are overestimated, as the "
        "winner's curse of the selection leaves the training split's).")
    return " ".join(out)


def _effects_table(metrics, generators) -> dict | None:
    """``fidelity.effects`` (issue 23): every cohort's GWAS effects against held-out real people and,
    for a simulated cohort, the true effects; the real splits are the reference rows."""
    avail = [g for g in generators if isinstance(_get(metrics.get(g), "fidelity", "effects"), dict)]
    if not avail:
        return None
    ref = metrics[avail[0]]["fidelity"]["effects"]
    has_truth = isinstance(ref.get("vs_truth"), dict)
    levels = list(ref.get("recovery") or {})
    lev_names = {lev: ("0.05/K" if lev == "bonferroni" else lev) for lev in levels}
    header = ((["r with true effects", "slope on true effects"] if has_truth else [])
              + ["r with held-out effects", "replication slope in held-out"]
              + [x for lev in levels for x in (f"TPR, p < {lev_names[lev]}", f"FDR, p < {lev_names[lev]}")])
    rows = [{"label": "real train", "role": "reference: the split the SNPs were selected on",
             "cells": _effects_cells(ref, "real_train", has_truth, levels), "note": None},
            {"label": "real held-out", "role": "reference: people not used for selection or training",
             "cells": _effects_cells(ref, "holdout", has_truth, levels), "note": None}]
    for g in avail:
        ef = metrics[g]["fidelity"]["effects"]
        rows.append({"label": g, "role": "per-class baseline" if g in REFERENCE_GENERATORS else "synthetic",
                     "cells": _effects_cells(ef, "synthetic", has_truth, levels), "note": ef.get("note")})
    gen = next((g for g in avail if g not in REFERENCE_GENERATORS), avail[0])
    return {"header": header, "rows": rows, "method": ref.get("method"), "has_truth": has_truth,
            "n_causal": fmt_int(_get(ref, "vs_truth", "n_causal_selected")) if has_truth else None,
            "sentence": _effects_sentence(metrics[gen]["fidelity"]["effects"], ref, gen, has_truth, levels)}


def _genotype_qc_section(metrics, G, gaps: Gaps) -> dict:
    """What plink2 --hwe / --het / --freq say about each synthetic fileset, beside the real training
    and held-out splits (aggregates over SNPs or people only)."""
    HH, MAF = ("fidelity", "het_hwe"), ("fidelity", "maf")
    hwe_p = _ref(metrics, G, *HH, "real_train", "hwe_threshold")
    maf = fmt(_ref(metrics, G, *MAF, "real_train", "maf_threshold"), 2)
    spec = [  # label, unit (from the registry's fidelity.<section>.<set>.<key>), metrics section, key, digits
        (*registry.row("fidelity.het_hwe.<set>.hwe_frac_below", fmt_p(hwe_p)), HH, "hwe_frac_below", 4),
        (*registry.row("fidelity.het_hwe.<set>.het_F_mean"), HH, "het_F_mean", 4),
        (*registry.row("fidelity.het_hwe.<set>.het_F_sd"), HH, "het_F_sd", 4),
        (*registry.row("fidelity.maf.<set>.maf_frac_below", maf), MAF, "maf_frac_below", 4),
        (*registry.row("fidelity.maf.<set>.maf_median"), MAF, "maf_median", 3),
    ]
    rows = [{"label": label, "unit": unit, "train": fmt(_ref(metrics, G, *sec, "real_train", key), dg),
             "holdout": fmt(_ref(metrics, G, *sec, "real_test", key), dg),
             "cells": [fmt(_get(metrics[g], *sec, "synthetic", key), dg) for g in G]}
            for label, unit, sec, key, dg in spec]
    rs = _ref(metrics, G, *HH, "real_resampled") or {}
    if rs.get("hwe_frac_below_mean") is not None:  # a faithful generator's level, beside the first row
        label, unit = registry.row("fidelity.het_hwe.real_resampled.hwe_frac_below_mean")
        rows.insert(1, {"label": label, "unit": unit, "holdout": "-", "cells": ["-" for _ in G],
                        "train": f"{fmt(rs['hwe_frac_below_mean'], 4)} (SD {fmt(rs.get('hwe_frac_below_sd'), 4)})"})
    label, unit = registry.row("fidelity.maf.correlation")
    rows.append({"label": label, "unit": unit, "train": "1",
                 "holdout": fmt(_ref(metrics, G, *MAF, "holdout_correlation"), 4),
                 "cells": [fmt(_get(metrics[g], *MAF, "correlation"), 4) for g in G]})
    ok = _ref(metrics, G, *MAF, "real_train") is not None
    missing = [] if ok or not G else [gaps.add("Fidelity", "fidelity.maf in the metrics files",
                                               "no plink2 --freq summary (metrics written before it existed)")]
    return {"rows": rows, "available": ok, "missing": missing}


def _refs_by_generator(metrics, generators, keys: tuple, index: int | None = None) -> str:
    """A held-out reference as text: one number, or one per group of generators where they differ
    (the structure references are weighted to each generator's case fraction, so matched and
    augmented cohorts have their own)."""
    texts = {}
    for g in generators:
        v = _get(metrics.get(g), *keys)
        if index is not None:
            v = v[index] if isinstance(v, list) and index < len(v) else None
        if v is not None:
            texts[g] = fmt(v)
    return _by_generator_text(texts, "n/a")


def _structure_rows(metrics, generators) -> list[dict]:
    """Per leading PC: synthetic distance per generator, held-out as the reference; then the
    largest cluster-share difference."""
    ST = ("fidelity", "structure")
    rows = []
    for j in range(len(_ref(metrics, generators, *ST, "pc_distance_synthetic") or [])):
        rows.append(_row("fidelity.structure.pc_distance_synthetic",
                         lambda m, j=j: fmt((_get(m, *ST, "pc_distance_synthetic") or [None] * (j + 1))[j]),
                         _refs_by_generator(metrics, generators, (*ST, "pc_distance_holdout"), j), j + 1))
    diff = (*ST, "clusters", "overall")
    rows.append(_row("fidelity.structure.clusters.overall.max_abs_diff_synthetic",
                     lambda m: fmt(_get(m, *diff, "max_abs_diff_synthetic")),
                     _refs_by_generator(metrics, generators, (*diff, "max_abs_diff_holdout"))))
    return _table(rows, metrics, generators)


def _share(p, real: bool) -> str:
    """A cluster share; a real one is null when it describes fewer than min_cell_count() people."""
    return ("suppressed" if real else "n/a") if p is None else fmt(p)


def _cluster_table(metrics, generators) -> dict | None:
    """Shares of people in each cluster of the real-train PC scores: real train, held-out and
    each generator, for all people, cases and controls (clusters are the same for every
    generator: one evaluation seed per disease)."""
    CL = ("fidelity", "structure", "clusters")
    n = _ref(metrics, generators, *CL, "n_clusters")
    if not n:
        return None
    pops = _ref(metrics, generators, *CL, "population") or [None] * n
    rows = []
    for cls, cls_name in CLASS_NAMES.items():
        def props(m, who, cls=cls):
            return _get(m, *CL, cls, "proportions", who) or [None] * n
        first = next(metrics[g] for g in generators if _get(metrics.get(g), *CL))
        for j in range(n):
            rows.append({"cls": cls_name, "cluster": str(j + 1), "population": pops[j] or "-",
                         "real": _share(props(first, "real_train")[j], True),
                         "holdout": _share(props(first, "holdout")[j], True),
                         "cells": [_share(props(metrics[g], "synthetic")[j], False) for g in generators]})
        rows.append({"cls": cls_name, "cluster": "largest |difference|", "population": "", "real": "-",
                     "holdout": fmt(_get(first, *CL, cls, "max_abs_diff_holdout")),
                     "cells": [fmt(_get(metrics[g], *CL, cls, "max_abs_diff_synthetic")) for g in generators]})
    return {"n_clusters": n, "rows": rows, "has_population": any(pops),
            "method": _ref(metrics, generators, *CL, "method"), "within": _within_rows(metrics, generators, n, pops)}


def _within_rows(metrics, generators, n: int, pops: list) -> list[dict]:
    """Per cluster and leading PC: the distance inside the cluster, in its own real-train SD, held-out
    (the reference) and each generator; 'suppressed' where the cluster has too few people."""
    CL = ("fidelity", "structure", "clusters")

    def cell(m, who, j, i):
        per = (_get(m, *CL, f"within_pc_distance_{who}") or [None] * n)[j]
        if per is None:  # real people: fewer than min_cell_count; synthetic ones are never suppressed
            return "suppressed" if who == "holdout" else f"< {min_cell_count()} people"
        return fmt(per[i])
    first = next((metrics[g] for g in generators if _get(metrics.get(g), *CL, "within_pc_distance_holdout")), None)
    if first is None:
        return []
    k = max((len(v) for g in generators for who in ("synthetic", "holdout")
             for v in (_get(metrics.get(g), *CL, f"within_pc_distance_{who}") or []) if v), default=0)
    return [{"cluster": str(j + 1), "population": pops[j] or "-", "pc": f"PC{i + 1}",
             "holdout": cell(first, "holdout", j, i),
             "cells": [cell(metrics[g], "synthetic", j, i) if _get(metrics.get(g), *CL) else "n/a" for g in generators]}
            for j in range(n) for i in range(k)]


def _privacy_section(inp: ReportInputs, metrics, generators, gaps: Gaps) -> dict:
    G = generators
    P = ("privacy",)

    def f(*k, digits=3):
        return lambda m: fmt(_get(m, *P, *k), digits)

    def ci(key, cikey):
        def fn(m):
            c = _get(m, *P, "nnaa", cikey) or [None, None]
            return fmt_ci(_get(m, *P, "nnaa", key), *(list(c) + [None, None])[:2])
        return fn

    hold_rate = _ref(metrics, G, *P, "holdout_identical_match_rate")
    spec = [
        _row("privacy.identical_match_rate", f("identical_match_rate", digits=4),
             fmt(hold_rate, 4) if hold_rate is not None else f"suppressed (<{min_cell_count()} records)"),
        ("... as a count", f"records (the count touches real records: suppressed below {min_cell_count()})",
         lambda m: suppress_small(_get(m, *P, "identical_match_count"), missing=f"<{min_cell_count()}"),
         suppress_small(_ref(metrics, G, *P, "holdout_identical_match_count"), missing=f"<{min_cell_count()}")),
        ("Median distance to the closest training record (reference: held-out real people)",
         "differing allele counts", f("dcr", "d_st_quantiles", "q50", digits=1),
         fmt(_ref(metrics, G, *P, "dcr", "d_ht_quantiles", "q50"), 1)),
        _row("privacy.dcr.frac_d_st_below_d_ht_p05", f("dcr", "frac_d_st_below_d_ht_p05"), "0.050"),
        _row("privacy.dcr.ks_pvalue", lambda m: fmt_p(_get(m, *P, "dcr", "ks_pvalue")), "-"),
        _row("privacy.dcr.mannwhitney_auc", f("dcr", "mannwhitney_auc"), "0.500"),
        _row("privacy.nnaa.aa_ts", ci("aa_ts", "aa_ts_ci"), "0.500"),
        _row("privacy.nnaa.privacy_loss", ci("privacy_loss", "privacy_loss_ci"), "0.000"),
        _row("privacy.population_reference.privacy_loss", f("population_reference", "privacy_loss"), "-"),
        _row("privacy.mia.auc", f("mia", "auc"), "0.500"),
        _row("privacy.mia.tpr_at_fpr", f("mia", "tpr_at_fpr"), "0.010"),
        _row("privacy.n_per_set", lambda m: suppress_small(_get(m, *P, "n_per_set")), "-"),
        _row("privacy.draws", lambda m: fmt(_get(m, *P, "draws"), 0), "-"),
        _row("privacy.king.max_kinship_syn_real_upper", f("king", "max_kinship_syn_real_upper"),
             fmt(_ref(metrics, G, *P, "king", "max_kinship_real_real"))),
        ("Any synthetic-real pair at duplicate level (> 0.354)", "yes/no",
         lambda m: {True: "yes", False: "no"}.get(_get(m, *P, "king", "any_syn_real_duplicate"), "n/a"), "-"),
    ]
    rows = _table(spec, metrics, G)
    king = []
    for x in G:
        th = _get(metrics.get(x), *P, "king", "thresholds")
        for t in th or []:
            king.append({
                "generator": x, "threshold": fmt(t.get("threshold"), 4),
                "syn_real": suppress_small(t.get("syn_real_pairs"), missing=f"<{min_cell_count()}"),
                "syn_real_rate": fmt(t.get("syn_real_rate"), 6, missing="suppressed"),
                "real_real": suppress_small(t.get("real_real_pairs"), missing=f"<{min_cell_count()}"),
                "real_real_rate": fmt(t.get("real_real_rate"), 6, missing="suppressed"),
                "syn_syn": fmt_int(t.get("syn_syn_pairs")),
                "le": {True: "yes", False: "NO"}.get(t.get("syn_real_rate_le_real_real"), "n/a"),
            })
    threat = _ref(metrics, G, *P, "threat_model")
    return {"rows": rows, "king": king, "threat_model": threat, "attacks": _attack_section(metrics, G),
            "metric": _ref(metrics, G, *P, "metric") or "manhattan",
            "figures": _gen_figures(inp, "privacy", metrics, G, gaps)}


def calibrated(value, safe, leaky):
    """``value`` on a 0-100 scale between the safe reference (0) and the leaky one (100); None when
    either is missing or they are too close (< 0.01 apart) to define a scale. Not clipped: below 0
    means less exposed than the baseline, above 100 more than the leaky copy."""
    v, a, b = _num(value), _num(safe), _num(leaky)
    if v is None or a is None or b is None or abs(b - a) < 0.01:
        return None
    return 100.0 * (v - a) / (b - a)


def _tpr(m, attack, key):
    a = _get(m, "privacy", "attacks", attack) or {}
    if a.get(key) is not None:
        return fmt(a[key], 3)
    if a.get(key + "_upper") is not None:
        return f"< {fmt(a[key + '_upper'], 3)} (suppressed)"
    return "n/a"


def _attack_section(metrics, generators) -> dict | None:
    """Per-attack AUC, TPR at 1 % / 0.1 % FPR and the calibrated 0-100 score; the maximum; the
    segment-replay and attribute-inference descriptions."""
    G = [g for g in generators if isinstance(_get(metrics.get(g), "privacy", "attacks"), dict)]
    if not G:
        return None
    A = ("privacy", "attacks")
    safe, leaky = metrics.get(SAFE_REFERENCE), metrics.get(LEAKY_REFERENCE)

    def scale(*k):
        def fn(m):
            c = calibrated(_get(m, *A, *k), _get(safe, *A, *k), _get(leaky, *A, *k))
            return "n/a" if c is None else f"{c:.0f}"
        return fn

    spec = []
    for a, name in ATTACK_NAMES.items():
        spec += [
            _row("privacy.attacks.<attack>.auc",
                 lambda m, a=a: (f"{fmt(_get(m, *A, a, 'auc'))} ± {fmt(_get(m, *A, a, 'auc_se'), 3)}"
                                 if _get(m, *A, a, "auc") is not None else "n/a"), "0.500", name),
            _row("privacy.attacks.<attack>.tpr_at_1pct_fpr", lambda m, a=a: _tpr(m, a, "tpr_at_1pct_fpr"), "0.010"),
            _row("privacy.attacks.<attack>.tpr_at_0p1pct_fpr", lambda m, a=a: _tpr(m, a, "tpr_at_0p1pct_fpr"),
                 "0.001"),
            ("... AUC on the safe-leaky scale", "0 = baseline, 100 = leaky copy", scale(a, "auc"), "-"),
        ]
    spec += [
        _row("privacy.attacks.max_auc", lambda m: fmt(_get(m, *A, "max_auc")), "0.500"),
        ("... which attack", "", lambda m: str(_get(m, *A, "max_auc_attack") or "n/a"), "-"),
        ("... largest lower confidence bound AUC - z SE (the verdict's max_attack_auc value)", "AUC",
         lambda m: fmt(next((c.get("value") for c in _get(m, "verdict", "checks") or []
                             if c.get("name") == "max_attack_auc"), None)), "-"),
        ("... on the safe-leaky scale", "0 = baseline, 100 = leaky copy", scale("max_auc"), "-"),
        _row("privacy.attacks.max_tpr_at_1pct_fpr",
             lambda m: (fmt(_get(m, *A, "max_tpr_at_1pct_fpr")) if _get(m, *A, "max_tpr_at_1pct_fpr") is not None
                    else (f"< {fmt(_get(m, *A, 'max_tpr_at_1pct_fpr_upper'))} (suppressed)"
                          if _get(m, *A, "max_tpr_at_1pct_fpr_upper") is not None else "n/a")), "0.010"),
        ("Segment replay: median longest run, synthetic vs nearest training record (reference: held-out people)",
         "SNPs", lambda m: fmt(_get(m, *A, "segment_replay", "synthetic_run_quantiles", "q50"), 0),
         fmt(_ref(metrics, G, *A, "segment_replay", "holdout_run_quantiles", "q50"), 0)),
        ("Segment replay: 99th percentile of the longest run", "SNPs",
         lambda m: fmt(_get(m, *A, "segment_replay", "synthetic_run_quantiles", "q99"), 0),
         fmt(_ref(metrics, G, *A, "segment_replay", "holdout_q99"), 0)),
        _row("privacy.attacks.segment_replay.share_synthetic_above_holdout_q99",
             lambda m: fmt(_get(m, *A, "segment_replay", "share_synthetic_above_holdout_q99")), "0.010"),
        ("... on the safe-leaky scale", "0 = baseline, 100 = leaky copy",
         scale("segment_replay", "share_synthetic_above_holdout_q99"), "-"),
        _row("privacy.attacks.attribute.auc_members", lambda m: fmt(_get(m, *A, "attribute", "auc_members")), "-"),
        _row("privacy.attacks.attribute.auc_nonmembers", lambda m: fmt(_get(m, *A, "attribute", "auc_nonmembers")),
             "-"),
        _row("privacy.attacks.attribute.auc_gap", lambda m: fmt(_get(m, *A, "attribute", "auc_gap")), "0.000"),
        _row("privacy.attacks.allele_frequency_lr.auc_training_frequencies", lambda m: "-",
             fmt(_ref(metrics, G, *A, "allele_frequency_lr", "auc_training_frequencies"))),
    ]
    d = _ref(metrics, G, *A, "design") or {}
    return {"rows": _table(spec, metrics, G), "generators": G, "threat_model": _ref(metrics, G, *A, "threat_model"),
            "reference": d.get("reference"),
            "n_members": suppress_small(d.get("n_members"), missing=f"<{min_cell_count()}"),
            "n_nonmembers": suppress_small(d.get("n_nonmembers"), missing=f"<{min_cell_count()}"),
            "scaled": bool(safe and leaky)}


# --------------------------------------------------------------------------- pages
def _env():
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)),
                             autoescape=jinja2.select_autoescape(["html", "j2"]),
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    return env


def build_context(inputs, disease: str, figdir: str | Path, *, generators=DEFAULT_GENERATORS,
                  provenance: dict | None = None, demo: bool | None = None, sampling: dict | None = None) -> dict:
    """Everything the disease template shows (formatted strings; no raw arrays); ``inputs``: the input
    files by name (a mapping or :class:`ReportInputs`)."""
    inp = inputs if isinstance(inputs, ReportInputs) else ReportInputs(inputs)
    figdir = Path(figdir)
    generators = list(generators)
    gaps = Gaps()
    metrics: dict[str, dict | None] = {}
    metric_missing = []
    for g in generators:
        metrics[g] = load_json(inp.path(f"metrics_{g}"))
        if metrics[g] is None:
            metric_missing.append(gaps.add("Evaluation", inp.label(inp.path(f"metrics_{g}")),
                                           "file not found: this generator has not been evaluated"))
    prs = load_json(inp.path("prs"))
    split = load_json(inp.path("split")) or {}
    n_train = _get(split, "train", "individuals")

    ctx = {
        "disease": disease,
        "generators": [g for g in generators if metrics.get(g)],
        "all_generators": generators,
        "roles": {g: GENERATOR_ROLES.get(g, "synthetic cohort") for g in generators},
        "reference_generators": sorted(REFERENCE_GENERATORS & set(generators)),
        "min_count": min_cell_count(),
        "metric_missing": metric_missing,
        "cohort": _cohort_section(inp, gaps),
        "split": _split_section(inp, gaps),
        "gwas": _gwas_section(inp, disease, figdir, gaps, n_train),
        "selection": _selection_section(inp, gaps),
        "training": _training_section(inp, gaps, sampling),
        "verdict": _verdict_section(metrics, generators),
    }
    avail = [g for g in generators if metrics.get(g)]
    full = [g for g in avail if g not in PRIVACY_ONLY_GENERATORS]  # the leaky reference: privacy only
    ctx["utility_generators"] = full
    ctx["utility"] = _utility_section(inp, metrics, full, prs, gaps, split)
    ctx["fidelity"] = _fidelity_section(inp, metrics, full, gaps)
    ctx["privacy"] = _privacy_section(inp, metrics, avail, gaps)
    if demo is None:
        demo = _get(ctx["selection"], "causal") is not None
    ctx["demo"] = demo
    prov = dict(provenance or {})
    evals = []
    for g in avail:
        p = metrics[g].get("provenance") or {}
        evals.append({"generator": g, "seed": p.get("seed", "n/a"),
                      "software": ", ".join(f"{k} {v}" for k, v in p.items() if k != "seed")})
    if prs and isinstance(prs.get("provenance"), dict):
        p = prs["provenance"]
        evals.append({"generator": "prs", "seed": p.get("seed", "n/a"),
                      "software": ", ".join(f"{k} {v}" for k, v in p.items() if k != "seed")})
    prov["evaluations"] = evals
    ctx["provenance"] = prov
    ctx["gaps"] = gaps.items
    ctx["complete"] = not gaps.items
    return ctx


def verdict_summary(ctx: dict) -> dict:
    """The small JSON the index page reads (aggregate only)."""
    gens = {}
    for g in ctx["verdict"]["generators"]:
        gens[g["name"]] = ({"decision": g["decision"], "passed": g["passed"], "failed_checks": g["failed"],
                            "reference": g["reference"], "calibration": g["calibration"]} if g["available"]
                           else {"decision": "not evaluated", "passed": None, "reference": g["reference"],
                                 "calibration": g["calibration"]})
    return {"disease": ctx["disease"], "generators": gens, "generator_order": list(gens), "complete": ctx["complete"],
            "n_gaps": len(ctx["gaps"]), "gaps": [f"{x['section']}: {x['item']}" for x in ctx["gaps"]],
            "run_date": _get(ctx, "provenance", "run_date"), "config_hash": _get(ctx, "provenance", "config_hash")}


def render_disease_report(inputs, disease: str, out_html: str | Path, figdir: str | Path, *,
                          generators=DEFAULT_GENERATORS, provenance: dict | None = None,
                          verdict_json: str | Path | None = None, demo: bool | None = None,
                          sampling: dict | None = None, min_count: int | None = None) -> dict:
    """Write ``out_html`` (self-contained) and ``figdir`` (GWAS plots + key evaluation figures
    for Snakemake's --report); returns the verdict summary (also written to ``verdict_json``).

    ``min_count``: evaluate.min_cell_count, the small-cell threshold of every count of real
    people on the page (None: the one in force, by default snpgen.report.MIN_COUNT)."""
    from ..io import atomic_write_text, write_json

    inp = inputs if isinstance(inputs, ReportInputs) else ReportInputs(inputs)
    figdir = Path(figdir)
    figdir.mkdir(parents=True, exist_ok=True)
    with cell_threshold(min_count):
        ctx = build_context(inp, disease, figdir, generators=generators, provenance=provenance, demo=demo,
                            sampling=sampling)
        html = _env().get_template("disease.html.j2").render(**ctx)
    for g in ctx["generators"]:
        for name in KEY_FIGURES:
            src = inp.figure(g, name)
            if src.exists():
                shutil.copyfile(src, figdir / f"{g}.{name}")
    atomic_write_text(out_html, html)
    summary = verdict_summary(ctx)
    if verdict_json:
        write_json(verdict_json, summary)
    return summary


def render_index(entries: list[dict], out_html: str | Path, *, provenance: dict | None = None,
                 min_count: int | None = None) -> None:
    """``entries``: verdict summaries (:func:`verdict_summary`) with ``href`` (the page's file name);
    ``min_count`` as in :func:`render_disease_report`."""
    from ..io import atomic_write_text

    with cell_threshold(min_count) as n:
        html = _env().get_template("index.html.j2").render(entries=entries, provenance=provenance or {},
                                                           min_count=n)
    atomic_write_text(out_html, html)

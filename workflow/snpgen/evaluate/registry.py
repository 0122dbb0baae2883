"""The metric registry: one declaration per metric of the metrics JSON (``results/{d}/metrics/{gen}.json``).

After the model of sgkit's ``variables.py``: every metric the evaluation writes and the verdict, the
report, the benchmarks or the docs read by name is declared here once, with

- ``key``: its path in the metrics JSON; a part in angle brackets (``<model>``, ``<attack>``,
  ``<level>``, ...) stands for any key at that level (one metric per model, attack, ...);
- ``section``: utility, fidelity, structure, genotype_qc, effects, privacy, attacks (or sizes);
- ``label`` and ``unit``: as the report shows them (a ``{}`` in the label is filled with the
  ``<...>`` part the check is about: the model, the PC number); a metric that is also a verdict
  check shows ``label`` in the verdict table and ``table_label`` / ``table_unit`` (when set) in its
  section's table, where a ``{}`` is filled with a setting (an HWE p-value, a MAF threshold);
- ``direction``: ``higher`` / ``lower`` better, ``target`` (a value such as 0.5 or 1 is best) or
  ``none`` (a size, or the real reference a synthetic value is read against);
- ``check``: the verdict check it feeds (``{}`` filled per model / per PC), its ``comparison``, the
  ``thresholds`` (keys of ``verdict.DEFAULT_THRESHOLDS``; all set = the check is on) and the
  ``options`` (further threshold keys the check reads);
- ``reference``: the real-data value it is read against (the report's reference column; for a
  relative check the value its threshold is computed from);
- ``doc``: one line.

Numbers the evaluation writes that are not metrics of their own (confidence-interval bounds,
settings echoed back, timings, distribution summaries behind a figure) are listed in
:data:`INTERNAL` with the reason. tests/test_registry.py checks both lists against a real
evaluation, and every threshold key against the declarations; docs/metrics.md holds the table
(``scripts/metrics_table.py``).

Torch-free and import-light: imported by the verdict, the report and the docs script.
"""
from __future__ import annotations

from dataclasses import dataclass

SECTIONS = ("sizes", "privacy", "attacks", "utility", "fidelity", "genotype_qc", "structure", "effects")
DIRECTIONS = ("higher", "lower", "target", "none")
COMPARISONS = ("<=", ">=", "in")


@dataclass(frozen=True)
class Metric:
    key: tuple[str, ...]
    section: str
    label: str
    unit: str
    direction: str
    doc: str
    check: str | None = None
    comparison: str | None = None
    thresholds: tuple[str, ...] = ()
    options: tuple[str, ...] = ()
    reference: tuple[str, ...] | None = None
    table_label: str | None = None
    table_unit: str | None = None

    @property
    def path(self) -> str:
        """The key path as docs/metrics.md writes it (dots)."""
        return ".".join(self.key)


def _m(path: str, section: str, label: str, unit: str, direction: str, doc: str, *, ref: str | None = None,
       check: str | None = None, cmp: str | None = None, th: tuple[str, ...] = (),
       opt: tuple[str, ...] = (), tl: str | None = None, tu: str | None = None) -> Metric:
    return Metric(key=tuple(path.split(".")), section=section, label=label, unit=unit, direction=direction,
                  doc=doc, check=check, comparison=cmp, thresholds=th, options=opt,
                  reference=tuple(ref.split(".")) if ref else None, table_label=tl, table_unit=tu)


_SIZES = [
    _m("sizes.n_snps", "sizes", "Selected SNPs", "SNPs", "none", "columns of every genotype matrix"),
    _m("sizes.n_synthetic", "sizes", "Synthetic individuals", "individuals", "none", "rows of the synthetic cohort"),
    _m("sizes.n_train", "sizes", "Real training individuals", "individuals", "none", "rows of the training split"),
    _m("sizes.n_test", "sizes", "Real held-out individuals", "individuals", "none", "rows of the test split"),
    _m("sizes.case_fraction_synthetic", "sizes", "Case fraction, synthetic", "fraction", "none",
       "cases / (cases + controls) in the synthetic cohort", ref="sizes.case_fraction_train"),
    _m("sizes.case_fraction_train", "sizes", "Case fraction, real train", "fraction", "none",
       "cases / (cases + controls) in the training split"),
    _m("sizes.case_fraction_test", "sizes", "Case fraction, real held-out", "fraction", "none",
       "cases / (cases + controls) in the test split"),
]

# privacy and attacks: the checks in the order the verdict lists them
_PRIVACY = [
    _m("privacy.identical_match_rate", "privacy", "Synthetic records identical to a training record", "fraction",
       "lower", "share of synthetic records equal to some training record over all selected SNPs",
       ref="privacy.holdout_identical_match_rate", check="identical_match_rate", cmp="<=",
       th=("max_identical_match_rate",), tu="fraction of synthetic records"),
    _m("privacy.nnaa.aa_ts", "privacy",
       "Nearest-neighbour adversarial accuracy AA_TS (0.5 = indistinguishable)", "fraction", "target",
       "NNAA with the training split as reference (Yale et al.)", check="nnaa_aa_ts", cmp="in",
       th=("aa_ts_min", "aa_ts_max"), tl="NNAA AA_TS, training reference [CI]", tu="fraction (target 0.5)"),
    _m("privacy.mia.auc", "privacy", "Membership-inference attack AUC (0.5 = guessing)", "AUC", "lower",
       "distance-based membership inference: training members vs held-out non-members", check="mia_auc",
       cmp="<=", th=("max_mia_auc",), tl="Membership-inference AUC", tu="AUC (0.5 = guessing)"),
    _m("privacy.nnaa.privacy_loss", "privacy",
       "NNAA privacy loss (held-out minus training reference; limit counted from the population-statistics reference)",
       "fraction", "lower", "AA_TS with the held-out reference minus AA_TS with the training reference",
       ref="privacy.population_reference.privacy_loss", check="privacy_loss", cmp="<=",
       th=("max_privacy_loss",), opt=("privacy_loss_reference",), tl="NNAA privacy loss [CI]",
       tu="fraction (target 0)"),
    _m("privacy.king.max_kinship_syn_real_upper", "privacy",
       "Largest KING kinship synthetic-real (0.354 = duplicate)", "kinship", "lower",
       "largest plink2 KING kinship of a synthetic-real pair, or the table filter when no pair passes it",
       ref="privacy.king.max_kinship_real_real", check="max_king_kinship", cmp="<=", th=("max_king_kinship",),
       tl="Largest KING kinship synthetic-real (upper bound) (reference: real-real on the same SNPs)"),
    _m("privacy.king.max_kinship_syn_real", "privacy", "Largest KING kinship synthetic-real", "kinship", "lower",
       "null when no synthetic-real pair passes the KING table filter"),
    _m("privacy.king.max_kinship_real_real", "privacy", "Largest KING kinship real-real (same SNPs)", "kinship",
       "none", "the reference for the synthetic-real value"),
    _m("privacy.identical_match_count", "privacy", "Synthetic records identical to a training record (count)",
       "records", "lower", "suppressed (null) below evaluate.min_cell_count",
       ref="privacy.holdout_identical_match_count"),
    _m("privacy.holdout_identical_match_rate", "privacy", "Held-out records identical to a training record",
       "fraction", "none", "the reference for identical_match_rate; null when suppressed"),
    _m("privacy.holdout_identical_match_count", "privacy", "Held-out records identical to a training record "
       "(count)", "records", "none", "suppressed (null) below evaluate.min_cell_count"),
    _m("privacy.dcr.d_st_quantiles.<q>", "privacy", "Distance to the closest training record, synthetic",
       "differing allele counts", "none", "quantiles q05..q95 of synthetic-to-training nearest distances",
       ref="privacy.dcr.d_ht_quantiles.<q>"),
    _m("privacy.dcr.d_ht_quantiles.<q>", "privacy", "Distance to the closest training record, held-out",
       "differing allele counts", "none", "the same quantiles for held-out real people (the reference)"),
    _m("privacy.dcr.frac_d_st_below_d_ht_p05", "privacy",
       "Synthetic records closer to training than 95% of held-out people", "fraction (about 0.05 is safe)",
       "lower", "share of synthetic nearest distances below the held-out 5th percentile"),
    _m("privacy.dcr.frac_d_st_zero", "privacy", "Synthetic records at distance 0 from training", "fraction",
       "lower", "share of synthetic records with an exact training copy (mode-imputed)"),
    _m("privacy.dcr.ks_pvalue", "privacy", "Distance distributions differ (Kolmogorov-Smirnov p)", "p", "higher",
       "two-sample KS test, synthetic vs held-out nearest distances"),
    _m("privacy.dcr.mannwhitney_auc", "privacy", "P(synthetic farther from training than held-out)",
       "probability (0.5 = same)", "target", "Mann-Whitney U / (n_s n_h)"),
    _m("privacy.mia.tpr_at_fpr", "privacy", "Attack true-positive rate at 1% false positives",
       "fraction (0.01 = guessing)", "lower", "TPR of the distance-based attack at mia.fpr_level"),
    _m("privacy.n_per_set", "privacy", "Real records per set in the distance tests", "individuals", "none",
       "equal sizes of S, T and H in DCR / NNAA / MIA (evaluate.privacy_max_n)"),
    _m("privacy.draws", "privacy", "Draws of the equal-size sets, averaged in NNAA and MIA", "draws", "none",
       "evaluate.privacy_repeats while draws x n_per_set <= evaluate.privacy_max_n"),
    _m("privacy.population_reference.privacy_loss", "privacy",
       "NNAA privacy loss of a population-statistics generator as close to real people", "fraction", "none",
       "the reference for privacy_loss: per class x ancestry cluster Markov chains on training counts (no "
       "individual kept), sharpened to the cohort's aa_truth (evaluate.population_reference_order)"),
]

_ATTACKS = [
    _m("privacy.attacks.max_auc", "attacks",
       "Strongest membership attack: largest lower confidence bound AUC - z SE over the attacks (z Bonferroni "
       "over attacks; 0.5 = guessing; the largest AUC and TPR at 1% FPR in the note)", "AUC", "lower",
       "largest AUC over the attacks; the check bounds each attack's AUC - z SE", check="max_attack_auc",
       cmp="<=", th=("max_attack_auc",), opt=("attack_auc_alpha",), tl="Strongest attack: largest AUC"),
    _m("privacy.attacks.segment_replay.share_synthetic_above_holdout_q99", "attacks",
       "Synthetic records replaying a training segment longer than 99% of held-out people",
       "fraction (about 0.01 = safe)", "lower", "share of synthetic records whose longest identical run with the "
       "nearest training record exceeds the held-out q99", check="segment_replay_share", cmp="<=",
       th=("max_replay_share",), tl="Synthetic records with a run above the held-out 99th percentile"),
    _m("privacy.attacks.<attack>.auc", "attacks", "Membership attack AUC", "AUC (0.5 = guessing)", "lower",
       "members = training people, non-members = held-out people, cross-fitted references",
       tl="{}: AUC [± SE]"),
    _m("privacy.attacks.<attack>.auc_se", "attacks", "Membership attack AUC standard error", "AUC", "none",
       "Hanley-McNeil style SE, used for the check's lower bound"),
    _m("privacy.attacks.<attack>.tpr_at_1pct_fpr", "attacks", "Attack TPR at 1% FPR",
       "fraction (0.01 = guessing)", "lower", "null when suppressed (the _upper key holds the bound)",
       tl="... TPR at 1% FPR"),
    _m("privacy.attacks.<attack>.tpr_at_0p1pct_fpr", "attacks", "Attack TPR at 0.1% FPR",
       "fraction (0.001 = guessing)", "lower", "null when suppressed (the _upper key holds the bound)",
       tl="... TPR at 0.1% FPR"),
    _m("privacy.attacks.max_tpr_at_1pct_fpr", "attacks", "Largest TPR at 1% FPR over the attacks",
       "fraction (0.01 = guessing)", "lower", "null when suppressed"),
    _m("privacy.attacks.segment_replay.synthetic_run_quantiles.<q>", "attacks",
       "Segment replay: longest run, synthetic vs nearest training record", "SNPs", "lower",
       "quantiles q50/q90/q99", ref="privacy.attacks.segment_replay.holdout_run_quantiles.<q>"),
    _m("privacy.attacks.segment_replay.holdout_run_quantiles.<q>", "attacks",
       "Segment replay: longest run, held-out vs nearest training record", "SNPs", "none", "the reference"),
    _m("privacy.attacks.segment_replay.holdout_q99", "attacks", "Segment replay: held-out 99th percentile run",
       "SNPs", "none", "the cut-off of segment_replay_share"),
    _m("privacy.attacks.attribute.auc_members", "attacks",
       "Attribute inference: disease-status AUC from the synthetic cohort, training members", "AUC", "none",
       "kernel neighbours on the synthetic cohort predict the members' status",
       ref="privacy.attacks.attribute.auc_nonmembers"),
    _m("privacy.attacks.attribute.auc_nonmembers", "attacks", "Attribute inference: held-out non-members", "AUC",
       "none", "the same prediction for held-out people", tl="... held-out non-members"),
    _m("privacy.attacks.attribute.auc_gap", "attacks", "Attribute inference gap (members minus non-members)",
       "AUC difference (0 = no leak)", "lower", "the trait-linked leak",
       tl="... gap (members minus non-members: the attribute leak)"),
    _m("privacy.attacks.allele_frequency_lr.auc_training_frequencies", "attacks",
       "Allele-frequency likelihood ratio with the training split's own per-class frequencies", "AUC", "none",
       "the level any cohort that reproduces the training frequencies reaches",
       tl="Allele-frequency likelihood ratio with the training split's own per-class frequencies (the level "
          "any cohort that reproduces them reaches)"),
]

_UTILITY = [
    _m("utility.<model>.ratio", "utility", "Utility: TSTR/TRTR AUC ratio ({})", "ratio", "higher",
       "TSTR AUC / TRTR AUC on the real test split", check="tstr_trtr_ratio_{}", cmp=">=",
       th=("min_tstr_trtr_ratio",), opt=("utility_models",)),
    _m("utility.<model>.trtr.auc", "utility", "TRTR AUC", "AUC", "none",
       "trained on real train, tested on real test (the reference)"),
    _m("utility.<model>.tstr.auc", "utility", "TSTR AUC", "AUC", "higher",
       "trained on the synthetic cohort, tested on real test", ref="utility.<model>.trtr.auc"),
    _m("utility.<model>.delta", "utility", "TSTR minus TRTR AUC", "AUC", "higher", "paired bootstrap CI beside it"),
    _m("utility.<model>.vs_baseline.auc", "utility", "TSTR AUC of the baseline cohort", "AUC", "none",
       "the same classifier trained on the per-class allele-frequency baseline"),
    _m("utility.<model>.vs_baseline.delta", "utility", "TSTR minus the baseline's TSTR AUC", "AUC", "higher",
       "paired; above 0: more signal than per-SNP sampling"),
    _m("utility.<model>.vs_baseline.real_delta", "utility", "TRTR minus the baseline's TSTR AUC (headroom)", "AUC",
       "none", "paired; what real people give beyond per-SNP sampling: the most the model can gain over the baseline"),
]

_FIDELITY = [
    _m("fidelity.allele_frequency.correlation", "fidelity", "Allele-frequency correlation, real train vs synthetic",
       "r", "higher", "Pearson r of per-SNP allele frequencies", ref="fidelity.allele_frequency.holdout_correlation",
       check="af_correlation", cmp=">=", th=("min_af_correlation",), tl="Allele-frequency correlation",
       tu="Pearson r"),
    _m("fidelity.ld.correlation", "fidelity", "LD r² correlation on windows of neighbouring SNPs", "r", "higher",
       "Pearson r of pairwise r² within windows", ref="fidelity.ld.holdout_correlation", check="ld_correlation",
       cmp=">=", th=("min_ld_correlation",), tl="LD r² correlation, all SNP pairs in windows", tu="Pearson r"),
    _m("fidelity.allele_frequency.holdout_correlation", "fidelity", "Allele-frequency correlation, real train vs "
       "held-out", "r", "none", "the reference for the synthetic correlation"),
    _m("fidelity.allele_frequency.mean_abs_diff", "fidelity", "Mean |allele-frequency difference|", "frequency",
       "lower", "over all selected SNPs"),
    _m("fidelity.allele_frequency.q95_abs_diff", "fidelity", "95th percentile |allele-frequency difference|",
       "frequency", "lower", "over all selected SNPs"),
    _m("fidelity.allele_frequency.max_abs_diff", "fidelity", "Largest |allele-frequency difference|", "frequency",
       "lower", "over all selected SNPs"),
    _m("fidelity.allele_frequency.n_monomorphic_synthetic", "fidelity",
       "SNPs with one allele only in the synthetic cohort", "SNPs", "lower", "monomorphic in S"),
    _m("fidelity.ld.holdout_correlation", "fidelity", "LD r² correlation, real train vs held-out", "r", "none",
       "the reference"),
    _m("fidelity.ld.correlation_informative", "fidelity", "LD r² correlation, pairs with real r² ≥ {}",
       "Pearson r", "higher", "the pairs with real LD only"),
    _m("fidelity.ld.per_window_mean_correlation", "fidelity", "Mean per-window LD correlation", "Pearson r", "higher",
       "mean over windows of the r² correlation", ref="fidelity.ld.holdout_per_window_mean_correlation"),
    _m("fidelity.ld.holdout_per_window_mean_correlation", "fidelity", "Mean per-window LD correlation, held-out",
       "r", "none", "the reference"),
    _m("fidelity.ld.mean_r2_synthetic", "fidelity", "Mean LD r²: synthetic (reference column: real)", "r²", "none",
       "over the window pairs", ref="fidelity.ld.mean_r2_real"),
    _m("fidelity.ld.mean_r2_real", "fidelity", "Mean LD r², real train", "r²", "none", "the reference"),
    _m("fidelity.ld.mean_abs_r2_diff", "fidelity", "Mean |r² difference|", "r²", "lower", "over the window pairs"),
    _m("fidelity.ld.holdout_strength_ratio", "fidelity", "LD strength, held-out real", "ratio", "none",
       "the reference for ld.strength_ratio"),
    _m("fidelity.ld.n_pairs", "fidelity", "SNP pairs compared", "SNP pairs", "none", "pairs within LD windows"),
    _m("fidelity.ld.n_pairs_informative", "fidelity", "SNP pairs with real LD", "SNP pairs", "none",
       "pairs with real r² >= ld.informative_r2; too few: the LD checks are not applicable"),
    _m("fidelity.pca.mean_wasserstein_synthetic", "fidelity", "Mean PC distance, synthetic vs real train",
       "SD of real PC score", "lower", "mean over PCs of the 1-D Wasserstein distance",
       ref="fidelity.pca.mean_wasserstein_holdout"),
    _m("fidelity.pca.mean_wasserstein_holdout", "fidelity", "Mean PC distance, held-out vs real train",
       "SD of real PC score", "none", "the reference"),
    _m("fidelity.pca.wasserstein_synthetic", "fidelity", "Per-PC distance, synthetic vs real train",
       "SD of real PC score", "lower", "one value per PC", ref="fidelity.pca.wasserstein_holdout"),
    _m("fidelity.pca.wasserstein_holdout", "fidelity", "Per-PC distance, held-out vs real train",
       "SD of real PC score", "none", "the reference"),
]

_GENOTYPE_QC = [
    _m("fidelity.het_hwe.synthetic.hwe_frac_below", "genotype_qc",
       "SNPs failing Hardy-Weinberg (limit: real training share, or its resamples' if higher, + margin)",
       "fraction of SNPs", "lower",
       "share of SNPs with plink2 exact HWE p < evaluate.hwe_p; when the synthetic cohort is larger than the real "
       "training split, the mean share of evaluate.hwe_subsets random subsets of its size (the share grows with the "
       "sample size)",
       ref="fidelity.het_hwe.real_train.hwe_frac_below",
       check="hwe_failure_share", cmp="<=", th=("max_hwe_failure_excess",), opt=("hwe_noise_factor", "hwe_reference"),
       tl="SNPs failing Hardy-Weinberg (reference: real train)"),
    _m("fidelity.het_hwe.f_distance.wasserstein", "genotype_qc",
       "Inbreeding-F distance to real train (limit: held-out real distance x factor, or floor)", "Wasserstein, F",
       "lower", "1-D Wasserstein distance of the plink2 --het F distributions",
       ref="fidelity.het_hwe.f_distance.holdout_wasserstein", check="het_f_distance", cmp="<=",
       th=("het_f_distance_factor",), opt=("het_f_distance_floor",),
       tl="Inbreeding-F distribution distance to real train (reference: held-out real)"),
    _m("fidelity.ld.strength_ratio", "genotype_qc", "LD strength: mean synthetic r² / mean real r² on the LD windows",
       "ratio", "target", "1 = real strength", ref="fidelity.ld.holdout_strength_ratio", check="ld_strength",
       cmp="in", th=("ld_strength_min", "ld_strength_max"),
       tl="LD strength: mean synthetic r² / mean real r² (reference: held-out real)", tu="ratio (1 = real strength)"),
    _m("fidelity.het_hwe.<set>.hwe_frac_below", "genotype_qc",
       "SNPs failing the exact HWE test, p < {} (--hwe; a larger synthetic cohort at the real training size)",
       "fraction of SNPs", "none", "per set: real_train, real_test, synthetic (the share grows with the people "
       "tested: a synthetic cohort larger than real train is taken at its size, the mean over evaluate.hwe_subsets "
       "subsets; plink2 --hwe on the whole synthetic fileset fails more SNPs)"),
    _m("fidelity.het_hwe.real_split_half.diff_sd", "genotype_qc",
       "HWE failure share noise: SD between two halves of real train", "fraction of SNPs", "none",
       "evaluate.hwe_noise_reps random halvings, plink2 --hardy on each; x verdict.hwe_noise_factor = the margin"),
    _m("fidelity.het_hwe.real_split_half.diff_abs_mean", "genotype_qc",
       "HWE failure share, mean |half A - half B| of real train", "fraction of SNPs", "none", "the same splits"),
    _m("fidelity.het_hwe.real_resampled.hwe_frac_below_mean", "genotype_qc",
       "SNPs failing HWE in resamples of real train (a faithful generator's level)", "fraction of SNPs", "none",
       "evaluate.hwe_noise_reps bootstrap resamples of the real training people (same size): the real genotype "
       "frequencies plus fresh sampling noise; above the real share where many SNPs sit near the threshold"),
    _m("fidelity.het_hwe.<set>.hwe_median_neglog10p", "genotype_qc", "Median -log10 HWE p", "-log10 p", "none",
       "per set"),
    _m("fidelity.het_hwe.<set>.het_F_mean", "genotype_qc", "Mean inbreeding coefficient F (--het)", "F", "none",
       "per set"),
    _m("fidelity.het_hwe.<set>.het_F_sd", "genotype_qc", "SD of inbreeding coefficient F (--het)", "F", "none",
       "per set"),
    _m("fidelity.het_hwe.f_distance.holdout_wasserstein", "genotype_qc", "Inbreeding-F distance, held-out real",
       "Wasserstein, F", "none", "the reference of het_f_distance"),
    _m("fidelity.het_hwe.f_distance.mean_diff", "genotype_qc",
       "Mean F minus real-train mean F (reference: held-out real)", "F",
       "target",
       "bounded by the F distance", ref="fidelity.het_hwe.f_distance.holdout_mean_diff"),
    _m("fidelity.het_hwe.f_distance.holdout_mean_diff", "genotype_qc", "Mean F minus real-train mean F, held-out",
       "F", "none", "the reference"),
    _m("fidelity.maf.correlation", "genotype_qc", "MAF correlation with real train, per SNP (--freq)", "Pearson r",
       "higher", "plink2 --freq", ref="fidelity.maf.holdout_correlation"),
    _m("fidelity.maf.holdout_correlation", "genotype_qc", "MAF correlation, held-out real", "Pearson r", "none",
       "the reference"),
    _m("fidelity.maf.<set>.maf_frac_below", "genotype_qc", "SNPs with MAF < {} (--freq)",
       "fraction of SNPs", "none", "per set"),
    _m("fidelity.maf.<set>.maf_median", "genotype_qc", "Median MAF (--freq)", "frequency", "none", "per set"),
    _m("fidelity.maf.<set>.maf_mean", "genotype_qc", "Mean MAF (--freq)", "frequency", "none", "per set"),
    _m("fidelity.maf.<set>.n_monomorphic", "genotype_qc", "Monomorphic SNPs (--freq)", "SNPs", "none", "per set"),
]

_STRUCTURE = [
    _m("fidelity.structure.pc_distance_synthetic", "structure",
       "Population structure: PC{} distance, synthetic vs real train (limit from held-out)",
       "SD of real PC score", "lower", "one Wasserstein distance per leading PC (evaluate.structure_n_pcs)",
       ref="fidelity.structure.pc_distance_holdout", check="structure_pc{}_distance", cmp="<=",
       th=("structure_pc_factor",), opt=("structure_pc_floor",), tl="PC{} distance, synthetic vs real train"),
    _m("fidelity.structure.clusters.overall.max_abs_diff_synthetic", "structure",
       "Population clusters: largest |synthetic − real train| share of people", "fraction", "lower",
       "clusters fitted on real-train PC scores, all people",
       ref="fidelity.structure.clusters.overall.max_abs_diff_holdout", check="cluster_proportion_diff", cmp="<=",
       th=("max_cluster_proportion_diff",), tl="Cluster shares: largest |difference| from real train"),
    _m("fidelity.structure.pc_distance_holdout", "structure", "PC distance, held-out vs real train",
       "SD of real PC score", "none", "the reference, one value per leading PC"),
    _m("fidelity.structure.clusters.<class>.max_abs_diff_synthetic", "structure",
       "Cluster shares: largest |difference| from real train", "fraction", "lower",
       "per class: overall, case, control", ref="fidelity.structure.clusters.<class>.max_abs_diff_holdout"),
    _m("fidelity.structure.clusters.<class>.max_abs_diff_holdout", "structure",
       "Cluster shares: largest |difference|, held-out", "fraction", "none", "the reference"),
    _m("fidelity.structure.clusters.<class>.proportions.<set>", "structure", "Cluster shares", "fraction", "none",
       "one share per cluster; real shares below min_cell_count people are null"),
    _m("fidelity.structure.clusters.within_pc_distance_synthetic", "structure",
       "Within each cluster: PC distance, synthetic vs real train", "SD of the cluster's real PC score", "lower",
       "per cluster, one Wasserstein distance per leading PC; null with fewer than min_cell_count people",
       ref="fidelity.structure.clusters.within_pc_distance_holdout"),
    _m("fidelity.structure.clusters.within_pc_distance_holdout", "structure",
       "Within each cluster: PC distance, held-out", "SD of the cluster's real PC score", "none", "the reference"),
    _m("fidelity.structure.clusters.n_clusters", "structure", "Clusters", "clusters", "none",
       "modes: the components joined by no density dip (evaluate.structure_merge_ratio)"),
    _m("fidelity.structure.clusters.n_components", "structure", "Mixture components", "components", "none",
       "chosen by BIC, at most evaluate.structure_max_clusters"),
    _m("fidelity.structure.clusters.n_pcs", "structure", "PCs the clusters are fitted on", "PCs", "none",
       "the leading PCs above evaluate.structure_eigen_ratio x the eigenvalue bulk (0: one cluster)"),
    _m("fidelity.structure.ancestry.<population>.synthetic.correlation", "structure",
       "Allele-frequency correlation within a simulated population", "r", "higher",
       "synthetic people in the population's clusters vs its real-train members",
       ref="fidelity.structure.ancestry.<population>.holdout.correlation"),
    _m("fidelity.structure.ancestry.<population>.synthetic.mean_abs_diff", "structure",
       "Mean |allele-frequency difference| within a simulated population", "frequency", "lower", "as above",
       ref="fidelity.structure.ancestry.<population>.holdout.mean_abs_diff"),
    _m("fidelity.structure.ancestry.<population>.holdout.correlation", "structure",
       "Allele-frequency correlation within a population, held-out", "r", "none", "the reference"),
    _m("fidelity.structure.ancestry.<population>.holdout.mean_abs_diff", "structure",
       "Mean |allele-frequency difference| within a population, held-out", "frequency", "none", "the reference"),
]

_EFFECTS = [
    _m("fidelity.gwas.beta_correlation", "effects", "GWAS effect (log OR) correlation with the real training GWAS",
       "Pearson r", "higher", "synthetic GWAS (no covariates) vs the training GWAS"),
    _m("fidelity.gwas.beta_spearman", "effects", "GWAS effect rank correlation with the real training GWAS",
       "Spearman r", "higher", "as beta_correlation, ranks"),
    _m("fidelity.gwas.neglog10p_correlation", "effects", "GWAS -log10 p correlation with the real training GWAS",
       "Pearson r", "higher", "as beta_correlation, on -log10 p"),
    _m("fidelity.gwas.sign_concordance", "effects", "GWAS effect sign concordance", "fraction of SNPs", "higher",
       "same sign as the training GWAS"),
    _m("fidelity.gwas.sign_concordance_real_significant", "effects",
       "Sign concordance, SNPs genome-wide significant in the real GWAS", "fraction of SNPs", "higher",
       "null without significant SNPs"),
    _m("fidelity.gwas.regression_slope_syn_on_real", "effects", "Slope of synthetic on real effects (1 = same scale)",
       "-", "target", "least-squares slope"),
    _m("fidelity.gwas.causal_recovery.levels.<level>.<set>.tpr", "effects", "Causal SNPs recovered (GWAS vs truth)",
       "fraction", "higher", "simulated cohorts: TPR at the significance level"),
    _m("fidelity.gwas.causal_recovery.levels.<level>.<set>.fdr", "effects", "False discoveries (GWAS vs truth)",
       "fraction", "lower", "simulated cohorts: FDR at the significance level"),
    _m("fidelity.effects.vs_holdout.<set>.correlation", "effects", "r with held-out effects", "Pearson r", "higher",
       "PC-adjusted GWAS effects vs the held-out GWAS"),
    _m("fidelity.effects.vs_holdout.<set>.replication_slope", "effects", "Replication slope in held-out", "-",
       "target", "held-out effects regressed on these effects"),
    _m("fidelity.effects.vs_holdout.<set>.sign_concordance", "effects", "Sign concordance with held-out effects",
       "fraction of SNPs", "higher", "as above"),
    _m("fidelity.effects.vs_truth.<set>.<snps>.correlation", "effects", "r with true effects", "Pearson r",
       "higher", "simulated cohorts; <snps>: causal or all"),
    _m("fidelity.effects.vs_truth.<set>.<snps>.slope", "effects", "Slope on true effects", "-", "none",
       "scale of the estimated effects"),
    _m("fidelity.effects.vs_truth.<set>.<snps>.sign_concordance", "effects", "Sign concordance with true effects",
       "fraction of SNPs", "higher", "as above"),
    _m("fidelity.effects.vs_truth.n_causal_selected", "effects", "Simulated causal SNPs among the selected",
       "SNPs", "none", "simulated cohorts"),
    _m("fidelity.effects.recovery.<level>.<set>.tpr", "effects", "TPR (PC-adjusted GWAS vs truth)", "fraction",
       "higher", "simulated cohorts"),
    _m("fidelity.effects.recovery.<level>.<set>.fdr", "effects", "FDR (PC-adjusted GWAS vs truth)", "fraction",
       "lower", "simulated cohorts"),
]

METRICS: tuple[Metric, ...] = tuple(_SIZES + _PRIVACY + _ATTACKS + _UTILITY + _FIDELITY + _GENOTYPE_QC
                                    + _STRUCTURE + _EFFECTS)

# key patterns (a pattern covers everything under it) -> why the number is not a metric of its own
INTERNAL: dict[str, str] = {
    "utility.<model>.<set>.ci_low": "confidence bound of the AUC beside it",
    "utility.<model>.<set>.ci_high": "confidence bound of the AUC beside it",
    "utility.<model>.ratio_ci_low": "confidence bound", "utility.<model>.ratio_ci_high": "confidence bound",
    "utility.<model>.delta_ci_low": "confidence bound", "utility.<model>.delta_ci_high": "confidence bound",
    "utility.<model>.vs_baseline.delta_ci_low": "confidence bound",
    "utility.<model>.vs_baseline.delta_ci_high": "confidence bound",
    "utility.<model>.vs_baseline.real_delta_ci_low": "confidence bound",
    "utility.<model>.vs_baseline.real_delta_ci_high": "confidence bound",
    "utility.<model>.<set>.fit": "fitted hyper-parameters (C, n_iter)",
    "utility.<model>.vs_baseline.fit": "fitted hyper-parameters",
    "utility.n_bootstrap": "setting", "utility.ci_level": "setting",
    "fidelity.allele_frequency.n_snps": "size",
    "fidelity.ld.window": "setting", "fidelity.ld.informative_r2": "setting",
    "fidelity.ld.min_informative_pairs": "setting", "fidelity.ld.n_windows": "size",
    "fidelity.het_hwe.synthetic.hwe_n": "size (synthetic people behind the HWE share: at most the real training size)",
    "fidelity.het_hwe.synthetic.hwe_frac_below_subsets": "the shares behind hwe_frac_below, its mean: evaluate.hwe_subsets subsets of the real training size (one share when the cohort is not larger)",
    "fidelity.ld.decay": "the LD-decay figure's data",
    "fidelity.pca.explained_variance_ratio": "PCA of real train (context)", "fidelity.pca.n_pcs": "setting",
    "fidelity.structure.n_pcs": "setting",
    "fidelity.structure.real_weighted_to_case_fraction": "setting (the synthetic case fraction the real people are weighted to)",
    "fidelity.structure.ancestry.<population>.n_holdout": "size",
    "fidelity.structure.ancestry.<population>.n_real_train": "size",
    "fidelity.structure.ancestry.<population>.n_synthetic": "size",
    "fidelity.structure.ancestry.<population>.clusters": "cluster numbers of the population",
    "fidelity.het_hwe.<set>.het_F_quantiles": "distribution summary behind the het/HWE figure",
    "fidelity.het_hwe.<set>.hwe_threshold": "setting (evaluate.hwe_p)",
    "fidelity.het_hwe.<set>.n_snps_hwe": "size",
    "fidelity.het_hwe.real_split_half.reps": "setting (evaluate.hwe_noise_reps)",
    "fidelity.het_hwe.real_resampled.reps": "setting (evaluate.hwe_noise_reps)",
    "fidelity.het_hwe.real_resampled.hwe_frac_below_sd": "spread (SD over the resamples)",
    "fidelity.het_hwe.real_split_half.half_size": "size",
    "fidelity.maf.<set>.maf_threshold": "setting",
    "fidelity.gwas.n_real_significant": "size", "fidelity.gwas.n_snps_compared": "size",
    "fidelity.gwas.real_significance_level": "setting",
    "fidelity.gwas.causal_recovery.n_causal_total": "size",
    "fidelity.gwas.causal_recovery.n_causal_selected": "size",
    "fidelity.gwas.causal_recovery.levels.<level>.<set>.level": "setting (p-value level)",
    "fidelity.gwas.causal_recovery.levels.<level>.<set>.n_causal_in_set": "size",
    "fidelity.gwas.causal_recovery.levels.<level>.<set>.n_significant": "count behind tpr/fdr",
    "fidelity.gwas.causal_recovery.levels.<level>.<set>.n_true_positive": "count behind tpr/fdr",
    "fidelity.effects.n_pcs": "setting",
    "fidelity.effects.vs_holdout.<set>.n_snps": "size",
    "fidelity.effects.vs_truth.<set>.<snps>.n_snps": "size",
    "fidelity.effects.recovery.<level>.<set>.level": "setting (p-value level)",
    "fidelity.effects.recovery.<level>.<set>.n_causal_in_set": "size",
    "fidelity.effects.recovery.<level>.<set>.n_significant": "count behind tpr/fdr",
    "fidelity.effects.recovery.<level>.<set>.n_true_positive": "count behind tpr/fdr",
    "privacy.dcr.d_st_mean": "distribution summary", "privacy.dcr.d_ht_mean": "distribution summary",
    "privacy.dcr.d_ht_p05": "the cut-off of frac_d_st_below_d_ht_p05",
    "privacy.dcr.ks_statistic": "test statistic behind ks_pvalue",
    "privacy.dcr.mannwhitney_u": "test statistic behind mannwhitney_auc",
    "privacy.dcr.mannwhitney_pvalue": "test p-value beside mannwhitney_auc",
    "privacy.dcr.n_s": "size", "privacy.dcr.n_h": "size",
    "privacy.nnaa.aa_ts_ci": "confidence interval", "privacy.nnaa.privacy_loss_ci": "confidence interval",
    "privacy.nnaa.<reference>.aa_ts": "components of aa_ts / privacy_loss",
    "privacy.nnaa.<reference>.aa_syn": "components of aa_ts", "privacy.nnaa.<reference>.aa_truth": "components",
    "privacy.population_reference.order": "setting", "privacy.population_reference.n_rows": "size",
    "privacy.population_reference.sharpen": "the sharpening the closeness search chose",
    "privacy.population_reference.target_aa_truth": "the synthetic cohort's aa_truth it was matched to",
    "privacy.population_reference.aa_truth": "the aa_truth it reached",
    "privacy.population_reference.aa_ts": "components of the reference's privacy_loss",
    "privacy.nnaa.tie_weight": "setting", "privacy.nnaa.n_bootstrap": "setting", "privacy.nnaa.ci_level": "setting",
    "privacy.mia.fpr_level": "setting", "privacy.mia.n_members": "size", "privacy.mia.n_nonmembers": "size",
    "privacy.king.n_real": "size", "privacy.king.n_synthetic": "size", "privacy.king.table_filter": "setting",
    "privacy.king.thresholds": "per-threshold pair counts (report table; suppressed counts)",
    "privacy.attacks.design": "sizes and settings of the attack design",
    "privacy.attacks.seconds": "timings",
    "privacy.attacks.max_auc_se": "SE beside max_auc",
    "privacy.attacks.max_tpr_at_1pct_fpr_upper": "bound when max_tpr_at_1pct_fpr is suppressed",
    "privacy.attacks.max_tpr_at_1pct_fpr_attack": "the attack's name (null when every TPR is suppressed)",
    "privacy.attacks.<attack>.tpr_at_1pct_fpr_upper": "bound when the TPR is suppressed",
    "privacy.attacks.<attack>.tpr_at_0p1pct_fpr_upper": "bound when the TPR is suppressed",
    "privacy.attacks.<attack>.min_resolvable_fpr": "1 / non-members",
    "privacy.attacks.<attack>.n_pcs": "setting", "privacy.attacks.<attack>.n_snps": "size",
    "privacy.attacks.<attack>.bandwidth": "fitted kernel bandwidth",
    "privacy.attacks.<attack>.bandwidth_synthetic": "fitted kernel bandwidth",
    "privacy.attacks.<attack>.bandwidth_reference": "fitted kernel bandwidth",
    "privacy.attacks.attribute.balanced_accuracy_members": "second scale of auc_members",
    "privacy.attacks.attribute.balanced_accuracy_nonmembers": "second scale of auc_nonmembers",
    "privacy.attacks.attribute.balanced_accuracy_gap": "second scale of auc_gap",
    "privacy.attacks.segment_replay.synthetic_run_mean": "distribution summary",
    "privacy.attacks.segment_replay.holdout_run_mean": "distribution summary",
    "privacy.attacks.segment_replay.expected_share_when_safe": "constant (0.01)",
    "privacy.attacks.allele_frequency_lr.auc_training_frequencies_se": "SE beside auc_training_frequencies",
}

# the top-level sections whose numbers are declared or internal (tests/test_registry.py)
REGISTERED_SECTIONS = ("sizes", "utility", "fidelity", "privacy")


def get(path: str) -> Metric:
    """The declaration of ``path`` exactly as declared (``<...>`` parts included); KeyError if none."""
    for m in METRICS:
        if m.path == path:
            return m
    raise KeyError(f"no metric {path!r} in snpgen.evaluate.registry")


def row(path: str, *fill) -> tuple[str, str]:
    """(label, unit) of ``path`` in its section's table of the report; ``fill`` fills a ``{}``."""
    m = get(path)
    label = m.table_label or m.label
    return (label.format(*fill) if fill else label), m.table_unit or m.unit


def split(path: str) -> tuple[str, ...]:
    return tuple(path.split("."))


def matches(pattern: tuple[str, ...], key: tuple[str, ...], *, prefix: bool = False) -> bool:
    """Whether ``key`` is ``pattern`` (a ``<...>`` part matches any key); ``prefix``: or lies under it."""
    if len(key) < len(pattern) or (len(key) > len(pattern) and not prefix):
        return False
    return all(p == k or (p.startswith("<") and p.endswith(">")) for p, k in zip(pattern, key))


def find(key: tuple[str, ...] | str) -> Metric | None:
    """The declaration whose key matches ``key`` (exact declarations before patterns)."""
    key = split(key) if isinstance(key, str) else tuple(key)
    hits = [m for m in METRICS if matches(m.key, key)]
    return min(hits, key=lambda m: sum(p.startswith("<") for p in m.key)) if hits else None


def internal(key: tuple[str, ...]) -> str | None:
    """Why ``key`` is not a metric of its own (:data:`INTERNAL`), or None."""
    return next((why for p, why in INTERNAL.items() if matches(split(p), key, prefix=True)), None)


def checks(section: str | None = None) -> list[Metric]:
    """Declarations that feed a verdict check, in the verdict's order (optionally of one section)."""
    return [m for m in METRICS if m.check and (section is None or m.section == section)]


def check_metric(name: str) -> Metric | None:
    """The declaration behind a verdict check name (``tstr_trtr_ratio_logreg``, ``structure_pc2_distance``)."""
    for m in checks():
        head, _, tail = m.check.partition("{}")
        if name == m.check or ("{}" in m.check and name.startswith(head) and name.endswith(tail)
                               and len(name) > len(head) + len(tail)):
            return m
    return None


def check_label(name: str) -> tuple[str, str]:
    """(label, unit) of a verdict check for the report; an undeclared name labels itself."""
    m = check_metric(name)
    if m is None:
        return name, ""
    if "{}" not in m.check:
        return m.label, m.unit
    head, _, tail = m.check.partition("{}")
    return m.label.format(name[len(head):len(name) - len(tail)]), m.unit

"""Small torch-free statistics shared by the models and the evaluation."""
from __future__ import annotations

import numpy as np


def auc(y, score) -> float:
    """ROC AUC by the rank (Mann-Whitney) formula, ties counted half.

    ``y``: 1 = case, 0 = control (bool accepted); other labels (-1 = missing) are left out.
    NaN when only one class is present. The one AUC of the package (phenotype head during
    training, TSTR/TRTR utility, membership inference, PRS).
    """
    from scipy.stats import rankdata

    y = np.asarray(y)
    if y.dtype == bool:
        y = y.astype(np.int8)
    score = np.asarray(score, dtype=np.float64)
    ok = (y == 0) | (y == 1)
    if not ok.all():
        y, score = y[ok], score[ok]
    case = y == 1
    n1 = int(case.sum())
    n0 = int(y.size - n1)
    if n1 == 0 or n0 == 0:
        return float("nan")
    r = rankdata(score)
    return float((r[case].sum() - n1 * (n1 + 1) / 2.0) / (n1 * n0))

#!/usr/bin/env python3
"""Reference values for `vitrine report`'s statistics, computed independently with scipy and
statsmodels (test-only; CI reads the committed fixture and needs neither).

Regenerate (from the repository root):

    python3 -m venv target/statsvenv && target/statsvenv/bin/pip install scipy statsmodels
    target/statsvenv/bin/python crates/report/tests/stats/reference.py > fixtures/report/reference.json

`crates/report/tests/stats/main.rs` (`cargo test -p vitrine-report --test stats`) compares
crates/report/src/stats/mod.rs against every value here.
Undefined results (an empty arm, no conversions for a ratio, zero variance) are `null`.
"""

import json
import math
import random
import sys

import numpy as np
import scipy
import statsmodels
from scipy import stats
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    proportions_ztest,
)
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

ALPHA = 0.05

# (name, x1, n1, x2, n2): arm 1 is the treatment, arm 2 the control.
PROPORTIONS = [
    ("typical", 120, 1000, 100, 1000),
    ("unequal_sizes", 45, 300, 160, 1200),
    ("zero_conversions_treatment", 0, 250, 12, 240),
    ("zero_conversions_both", 0, 80, 0, 95),
    ("all_convert_treatment", 40, 40, 30, 41),
    ("all_convert_both", 15, 15, 22, 22),
    ("tiny", 1, 3, 0, 2),
    ("tiny_equal", 1, 2, 1, 2),
    ("one_visitor_each", 1, 1, 0, 1),
    ("large", 5312, 100000, 5104, 100000),
    ("empty_treatment", 0, 0, 5, 50),
    ("empty_control", 5, 50, 0, 0),
    ("strong_effect", 90, 200, 20, 200),
]

# (name, n1 values or generator spec, ...): per-visitor revenue, zeros for non-converters.
def revenue(seed, n, rate, mean):
    rng = random.Random(seed)
    return [round(rng.expovariate(1 / mean), 2) if rng.random() < rate else 0.0 for _ in range(n)]

WELCH = [
    ("typical", revenue(1, 400, 0.1, 50.0), revenue(2, 380, 0.08, 45.0)),
    ("unequal_variance", revenue(3, 120, 0.5, 200.0), revenue(4, 900, 0.05, 10.0)),
    ("tiny", [0.0, 19.9], [0.0, 0.0, 5.0]),
    ("zero_variance_one_side", [0.0] * 30, revenue(5, 30, 0.3, 20.0)),
    ("zero_variance_both", [0.0] * 10, [0.0] * 12),
    ("single_value", [12.5], [0.0, 3.0, 4.0]),
    ("all_convert", [10.0, 20.0, 30.0, 40.0], [5.0, 5.5, 6.0]),
]

# (name, observed counts, expected shares): the sample-ratio-mismatch check.
CHI_SQUARE = [
    ("balanced", [5000, 5000], [1, 1]),
    ("slight_imbalance", [5060, 4940], [1, 1]),
    ("srm", [5300, 4700], [1, 1]),
    ("unequal_weights_ok", [2010, 5950, 1040], [2, 6, 1]),
    ("unequal_weights_srm", [2500, 5500, 1000], [2, 6, 1]),
    ("with_holdout", [4480, 4520, 1000], [0.45, 0.45, 0.10]),
    ("tiny", [3, 1], [1, 1]),
    ("zero_in_one_arm", [0, 20], [1, 1]),
    ("three_arms_tiny", [1, 0, 2], [1, 1, 1]),
]


def none_if_nan(x):
    x = float(x)
    return None if math.isnan(x) or math.isinf(x) else x


def proportion_case(name, x1, n1, x2, n2):
    def wilson(x, n):
        if n == 0:
            return None
        lo, hi = proportion_confint(x, n, alpha=ALPHA, method="wilson")
        return [float(lo), float(hi)]

    both = n1 > 0 and n2 > 0
    diff_ci = ratio_ci = p = None
    if both:
        lo, hi = confint_proportions_2indep(x1, n1, x2, n2, method="newcomb", compare="diff", alpha=ALPHA)
        diff_ci = [float(lo), float(hi)]
        if x1 > 0 and x2 > 0:
            lo, hi = confint_proportions_2indep(x1, n1, x2, n2, method="log", compare="ratio", alpha=ALPHA)
            ratio_ci = [float(lo), float(hi)]
        pooled = (x1 + x2) / (n1 + n2)
        if 0 < pooled < 1:
            _, p = proportions_ztest([x1, x2], [n1, n2], alternative="two-sided")
            p = float(p)
        else:
            p = 1.0  # the documented convention: identical 0 % or 100 % arms
    return {
        "name": name, "x1": x1, "n1": n1, "x2": x2, "n2": n2,
        "wilson1": wilson(x1, n1), "wilson2": wilson(x2, n2),
        "newcombe_diff": diff_ci, "katz_ratio": ratio_ci, "z_test_p": p,
    }


def welch_case(name, a, b):
    out = {"name": name, "a": a, "b": b, "mean_a": float(np.mean(a)), "mean_b": float(np.mean(b))}
    res = None
    if len(a) >= 2 and len(b) >= 2 and (np.var(a, ddof=1) > 0 or np.var(b, ddof=1) > 0):
        t = stats.ttest_ind(a, b, equal_var=False)
        cm = CompareMeans(DescrStatsW(np.array(a)), DescrStatsW(np.array(b)))
        lo, hi = cm.tconfint_diff(alpha=ALPHA, usevar="unequal")
        va, vb = np.var(a, ddof=1) / len(a), np.var(b, ddof=1) / len(b)
        df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
        res = {"diff": float(np.mean(a) - np.mean(b)), "ci": [float(lo), float(hi)], "p": float(t.pvalue), "df": float(df)}
    out["welch"] = res
    return out


def chi_case(name, observed, shares):
    total = sum(observed)
    s = sum(shares)
    expected = [total * w / s for w in shares]
    chi2, p = stats.chisquare(observed, expected)
    return {"name": name, "observed": observed, "shares": shares,
            "chi2": none_if_nan(chi2), "df": len(observed) - 1, "p": none_if_nan(p)}


def main():
    out = {
        "generated_by": "crates/report/tests/stats/reference.py",
        "versions": {"scipy": scipy.__version__, "statsmodels": statsmodels.__version__, "numpy": np.__version__},
        "alpha": ALPHA,
        "z_critical": float(stats.norm.ppf(1 - ALPHA / 2)),
        "proportions": [proportion_case(*c) for c in PROPORTIONS],
        "welch": [welch_case(*c) for c in WELCH],
        "chi_square": [chi_case(*c) for c in CHI_SQUARE],
    }
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

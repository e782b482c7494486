#!/usr/bin/env python3
"""Reference values for `vitrine report`'s statistics, computed independently with scipy and
statsmodels (test-only; CI reads the committed fixture and needs neither).

Regenerate (from the repository root):

    python3 -m venv target/statsvenv && target/statsvenv/bin/pip install scipy statsmodels
    target/statsvenv/bin/python crates/report/tests/stats/reference.py > fixtures/report/reference.json

`crates/report/tests/stats/main.rs` (`cargo test -p vitrine-report --test stats`) compares
crates/report/src/stats/ against every value here.

The sequential cases (`--sequential`) do not use the closed form of the normal-mixture
confidence sequence: the mixture likelihood ratio is integrated numerically (scipy's quad) over
the normal prior and the interval's ends are found by root finding (brentq) where it reaches
1/alpha. The CUPED cases (`--cuped`) regress the outcome on the covariates with statsmodels'
OLS over both arms pooled and compare the residuals with statsmodels' z interval. The
stratified cases (a bandit's contexts x allocation periods) fit CUPED's coefficient with
statsmodels' OLS with one intercept per stratum (dummies, not deviations from the stratum's
mean as the Rust code does), post-stratify the adjusted and the plain means (one variance per
stratum, pooled over its two arms, as a bandit's report does), and read them as
z intervals and as confidence sequences (numerically integrated, as above). Relative lifts are
the delta method on the log ratio, the sequence again integrated numerically.
Undefined results (an empty arm, no conversions for a ratio, zero variance) are `null`.
"""

import json
import math
import random
import sys

import numpy as np
import scipy
import statsmodels
import statsmodels.api as sm
from scipy import integrate, optimize, stats
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


# (name, tuning N*, x1, n1, x2, n2) and (name, tuning, a, b): the sequential cases.
SEQUENTIAL_PROPORTIONS = [
    ("typical", 5000, 120, 1000, 100, 1000),
    ("at_tuning", 5000, 140, 2500, 110, 2500),
    ("early_look", 5000, 9, 60, 4, 58),
    ("late_look", 5000, 5312, 100000, 5104, 100000),
    ("tuned_small", 500, 45, 300, 160, 1200),
    ("strong_effect", 2000, 90, 200, 20, 200),
    ("zero_both", 5000, 0, 80, 0, 95),
    ("empty_control", 5000, 5, 50, 0, 0),
]

SEQUENTIAL_MEANS = [
    ("typical", 5000, revenue(1, 400, 0.1, 50.0), revenue(2, 380, 0.08, 45.0)),
    ("unequal_variance", 1000, revenue(3, 120, 0.5, 200.0), revenue(4, 900, 0.05, 10.0)),
    ("zero_variance_both", 5000, [0.0] * 10, [0.0] * 12),
]


def cuped_arm(seed, n, lift, missing, kind, visits_fixed=None):
    """Visitors as [y, visits, views], visits and views null when the covariate is missing."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        visits = visits_fixed or 1 + int(rng.expovariate(0.4))
        views = int(rng.expovariate(1 / (2.0 * visits)))
        p = min(0.9, 0.02 + 0.03 * visits + 0.01 * views + lift)
        converted = rng.random() < p
        if kind == "rate":
            y = 1.0 if converted else 0.0
        else:
            y = round(rng.expovariate(1 / 40.0) + 2 * views, 2) if converted else 0.0
        if rng.random() < missing:
            out.append([y, None, None])
        else:
            out.append([y, visits, views])
    return out


# (name, treatment visitors, control visitors): the CUPED cases.
CUPED = [
    ("typical", cuped_arm(11, 300, 0.05, 0.0, "rate"), cuped_arm(12, 320, 0.0, 0.0, "rate")),
    ("partly_missing", cuped_arm(13, 280, 0.03, 0.3, "rate"), cuped_arm(14, 300, 0.0, 0.3, "rate")),
    ("first_visits_only", cuped_arm(15, 200, 0.02, 0.25, "rate", 1), cuped_arm(16, 210, 0.0, 0.25, "rate", 1)),
    ("revenue", cuped_arm(17, 350, 0.04, 0.1, "value"), cuped_arm(18, 340, 0.0, 0.1, "value")),
    ("no_covariate", cuped_arm(19, 50, 0.0, 1.0, "rate"), cuped_arm(20, 50, 0.0, 1.0, "rate")),
    ("uncorrelated", [[float(i % 2), (i * 7) % 5 + 1, (i * 3) % 4] for i in range(60)],
     [[float(i % 3 == 0), (i * 5) % 5 + 1, (i * 2) % 4] for i in range(64)]),
]


def mixture_tau2(variance, n, n_star):
    """The prior variance: per-visitor variance times rho^2 tuned for N*."""
    l = -2 * math.log(ALPHA)
    return variance * n * (l + math.log(l + 1)) / n_star


def mixture_lr(d, theta, variance, tau2):
    """The mixture likelihood ratio of theta, integrated numerically over the prior."""
    h = d - theta
    m = tau2 * h / (variance + tau2)
    s = math.sqrt(variance * tau2 / (variance + tau2))

    def integrand(delta):
        log_ratio = (h * h - (h - delta) ** 2) / (2 * variance)
        return math.exp(log_ratio) * stats.norm.pdf(delta, 0, math.sqrt(tau2))

    value, _ = integrate.quad(integrand, m - 12 * s, m + 12 * s, epsabs=0, epsrel=1e-13, limit=400)
    return value


def confidence_sequence(d, variance, n, n_star):
    if not (variance > 0 and n > 0):
        return None
    tau2 = mixture_tau2(variance, n, n_star)
    target = 1 / ALPHA
    f = lambda h: math.log(mixture_lr(d, d - h, variance, tau2)) - math.log(target)
    hi = math.sqrt(variance)
    while f(hi) < 0:
        hi *= 2
    half = optimize.brentq(f, 0.0, hi, xtol=1e-15, rtol=1e-14, maxiter=500)
    p = min(1.0, 1 / mixture_lr(d, 0.0, variance, tau2))
    return {"diff": d, "ci": [d - half, d + half], "p": p}


def sequential_proportion_case(name, n_star, x1, n1, x2, n2):
    res = None
    if n1 > 0 and n2 > 0:
        p1, p2 = x1 / n1, x2 / n2
        res = confidence_sequence(p1 - p2, p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2, n1 + n2, n_star)
    rel = None
    if n1 > 0 and n2 > 0:
        rel = relative_sequence(x1 / n1, p1 * (1 - p1) / n1, x2 / n2, p2 * (1 - p2) / n2, n1 + n2, n_star)
    return {"name": name, "n_star": n_star, "x1": x1, "n1": n1, "x2": x2, "n2": n2, "sequence": res,
            "rel_sequence": rel}


def sequential_means_case(name, n_star, a, b):
    res = None
    if len(a) >= 2 and len(b) >= 2:
        v = np.var(a, ddof=1) / len(a) + np.var(b, ddof=1) / len(b)
        res = confidence_sequence(float(np.mean(a) - np.mean(b)), float(v), len(a) + len(b), n_star)
    return {"name": name, "n_star": n_star, "a": a, "b": b, "sequence": res}


def cuped_case(name, t, c):
    rows = t + c
    out = {"name": name, "a": t, "b": c, "cuped": None}
    covered = sum(1 for r in rows if r[1] is not None)
    if covered == 0:
        return out
    y = np.array([r[0] for r in rows], dtype=float)
    cols = [[r[1] or 0.0 for r in rows], [r[2] or 0.0 for r in rows]]
    if covered < len(rows):
        cols.append([1.0 if r[1] is None else 0.0 for r in rows])
    x = sm.add_constant(np.array(cols, dtype=float).T, has_constant="add")
    fit = sm.OLS(y, x).fit()
    resid = fit.resid
    ra, rb = resid[: len(t)], resid[len(t):]
    ya, yb = y[: len(t)], y[len(t):]
    cm = CompareMeans(DescrStatsW(ra), DescrStatsW(rb))
    lo, hi = cm.zconfint_diff(alpha=ALPHA, usevar="unequal")
    _, p = cm.ztest_ind(usevar="unequal")
    variance = np.var(ra, ddof=1) / len(ra) + np.var(rb, ddof=1) / len(rb)
    plain = np.var(ya, ddof=1) / len(ya) + np.var(yb, ddof=1) / len(yb)
    diff = float(np.mean(ra) - np.mean(rb))
    out["cuped"] = {
        "diff": diff, "ci": [float(lo), float(hi)], "p": float(p), "variance": float(variance),
        "plain_variance": float(plain), "variance_reduction": float(1 - variance / plain),
        "covered": covered / len(rows),
        "sequence": confidence_sequence(diff, float(variance), len(rows), 5000),
    }
    # The adjusted means, each arm's residuals shifted back to the pooled mean's level.
    level = float(np.mean(y))
    mt, mc = float(np.mean(ra)) + level, float(np.mean(rb)) + level
    vt, vc = np.var(ra, ddof=1) / len(ra), np.var(rb, ddof=1) / len(rb)
    out["cuped"]["rel_ci"] = relative_interval(mt, vt, mc, vc)
    out["cuped"]["rel_sequence"] = relative_sequence(mt, vt, mc, vc, len(rows), 5000)
    return out


def log_ratio(mt, vt, mc, vc):
    """The log ratio of two means and its delta-method variance; None when undefined."""
    if not (mt > 0 and mc > 0):
        return None
    return math.log(mt / mc), vt / mt**2 + vc / mc**2


def relative_interval(mt, vt, mc, vc):
    lr = log_ratio(mt, vt, mc, vc)
    if lr is None or not lr[1] > 0:
        return None
    z = stats.norm.ppf(1 - ALPHA / 2)
    lo, hi = lr[0] - z * math.sqrt(lr[1]), lr[0] + z * math.sqrt(lr[1])
    return [math.exp(lo) - 1, math.exp(hi) - 1]


def relative_sequence(mt, vt, mc, vc, n, n_star):
    lr = log_ratio(mt, vt, mc, vc)
    if lr is None:
        return None
    s = confidence_sequence(lr[0], lr[1], n, n_star)
    if s is None:
        return None
    return {"estimate": mt / mc - 1, "ci": [math.exp(s["ci"][0]) - 1, math.exp(s["ci"][1]) - 1]}


def z_interval(d, variance):
    """scipy's normal interval and two-sided p of an estimate with a known variance."""
    if not variance > 0:
        return None
    lo, hi = stats.norm.interval(1 - ALPHA, loc=d, scale=math.sqrt(variance))
    p = 2 * stats.norm.sf(abs(d) / math.sqrt(variance))
    return {"diff": d, "ci": [float(lo), float(hi)], "p": float(p)}


def stratified_arm(seed, n, base, lift, missing, kind):
    """Visitors of one arm in one stratum, as [y, visits, views] (null visits/views: missing)."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        visits = 1 + int(rng.expovariate(0.5))
        views = int(rng.expovariate(1 / (1.5 * visits)))
        p = min(0.95, base + 0.02 * visits + 0.005 * views + lift)
        converted = rng.random() < p
        if kind == "rate":
            y = 1.0 if converted else 0.0
        else:
            y = round(rng.expovariate(1 / 30.0) + views, 2) if converted else 0.0
        out.append([y, None, None] if rng.random() < missing else [y, visits, views])
    return out


def bandit_strata(seed, kind, sizes, missing=0.2):
    """Strata of a moving split: (treated, control, other arms) visitors per period, the
    baseline rising period after period, the treated arm 3 points better."""
    out = []
    for i, (nt, nc, other) in enumerate(sizes):
        base = 0.03 + 0.015 * i
        out.append({
            "weight": nt + nc + other,
            "a": stratified_arm(seed * 100 + 2 * i, nt, base, 0.03, missing, kind),
            "b": stratified_arm(seed * 100 + 2 * i + 1, nc, base, 0.0, missing, kind),
        })
    return out


# (name, strata, tuning N*): the stratified cases (bandits).
STRATIFIED = [
    ("bandit_rate", bandit_strata(31, "rate", [(150, 150, 150), (300, 90, 60), (520, 60, 40), (700, 45, 30)]), 5000),
    ("bandit_value", bandit_strata(32, "value", [(120, 130, 110), (260, 80, 70), (400, 50, 40)]), 2000),
    ("contexts_and_periods", bandit_strata(33, "rate", [(80, 70, 75), (160, 40, 30), (60, 60, 60), (30, 110, 20), (200, 200, 0), (90, 25, 15)], 0.35), 5000),
    ("one_stratum", bandit_strata(34, "rate", [(300, 320, 0)], 0.1), 5000),
    ("tiny_stratum_left_out", bandit_strata(35, "rate", [(200, 210, 50), (1, 40, 3), (150, 60, 20)]), 5000),
    ("no_covariate", bandit_strata(36, "rate", [(50, 50, 10), (60, 40, 10)], 1.0), 5000),
]


def post_stratified(strata, values):
    """sum w m and sum w^2 v of both arms over `strata` (weights normalised), each stratum's
    variance of one visitor pooled over its two arms: (SS_a + SS_b) / (n_a + n_b - 2)."""
    total = sum(s["weight"] for s in strata)
    mt = vt = mc = vc = 0.0
    n = 0
    for s in strata:
        w = s["weight"] / total
        a, b = np.array(values(s["a"]), dtype=float), np.array(values(s["b"]), dtype=float)
        ss = float(np.sum((a - a.mean()) ** 2) + np.sum((b - b.mean()) ** 2))
        s2 = ss / (len(a) + len(b) - 2)
        mt += w * float(a.mean())
        vt += w * w * s2 / len(a)
        mc += w * float(b.mean())
        vc += w * w * s2 / len(b)
        n += len(a) + len(b)
    return mt, vt, mc, vc, n


def read_means(mt, vt, mc, vc, n, n_star):
    """Every reading of two post-stratified means, as the report gives them."""
    return {
        "treated": mt, "baseline": mc, "variance": vt + vc,
        "fixed": z_interval(mt - mc, vt + vc),
        "sequence": confidence_sequence(mt - mc, vt + vc, n, n_star),
        "rel_ci": relative_interval(mt, vt, mc, vc),
        "rel_sequence": relative_sequence(mt, vt, mc, vc, n, n_star),
    }


def stratified_case(name, strata, n_star):
    out = {"name": name, "n_star": n_star, "strata": strata}
    # The plain post-stratified lift, as a bandit's report prints it: strata where both arms
    # have visitors and the two have three or more.
    plain = [s for s in strata if len(s["a"]) > 0 and len(s["b"]) > 0 and len(s["a"]) + len(s["b"]) > 2]
    outcome = lambda rows: [r[0] for r in rows]
    out["post_stratified"] = read_means(*post_stratified(plain, outcome), n_star)
    # CUPED within strata: strata where both arms have two visitors or more.
    live = [s for s in strata if len(s["a"]) >= 2 and len(s["b"]) >= 2]
    rows = [(k, r) for k, s in enumerate(live) for r in s["a"] + s["b"]]
    covered = sum(1 for _, r in rows if r[1] is not None)
    out["cuped"] = None
    if covered == 0:
        return out
    y = np.array([r[0] for _, r in rows], dtype=float)
    cols = [[r[1] or 0.0 for _, r in rows], [r[2] or 0.0 for _, r in rows]]
    if covered < len(rows):
        cols.append([1.0 if r[1] is None else 0.0 for _, r in rows])
    covariates = np.array(cols, dtype=float).T
    dummies = np.array([[1.0 if k == j else 0.0 for j in range(len(live))] for k, _ in rows])
    fit = sm.OLS(y, np.hstack([covariates, dummies])).fit()
    theta = fit.params[: covariates.shape[1]]

    def adjusted_strata():
        for s in live:
            xs = np.array([[r[1] or 0.0, r[2] or 0.0] + ([1.0 if r[1] is None else 0.0] if covered < len(rows) else []) for r in s["a"] + s["b"]], dtype=float)
            centre = xs.mean(axis=0)
            adjust = lambda side: [r[0] - float(np.dot(theta, np.array([r[1] or 0.0, r[2] or 0.0] + ([1.0 if r[1] is None else 0.0] if covered < len(rows) else []), dtype=float) - centre)) for r in side]
            yield {"weight": s["weight"], "a": adjust(s["a"]), "b": adjust(s["b"])}

    adj = list(adjusted_strata())
    mt, vt, mc, vc, n = post_stratified(adj, lambda values: values)
    _, pvt, _, pvc, _ = post_stratified(live, outcome)
    plain_variance = pvt + pvc
    if not (vt + vc > 0 and plain_variance > 0):
        return out
    out["cuped"] = read_means(mt, vt, mc, vc, n, n_star)
    out["cuped"].update({
        "plain_variance": plain_variance, "variance_reduction": 1 - (vt + vc) / plain_variance,
        "covered": covered / len(rows), "n": n,
    })
    return out


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
        "sequential_proportions": [sequential_proportion_case(*c) for c in SEQUENTIAL_PROPORTIONS],
        "sequential_means": [sequential_means_case(*c) for c in SEQUENTIAL_MEANS],
        "cuped": [cuped_case(*c) for c in CUPED],
        "stratified": [stratified_case(*c) for c in STRATIFIED],
    }
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

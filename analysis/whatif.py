"""Logistic regression by Newton's method (IRLS) with a small ridge penalty, its fit quality, and
what-ifs with uncertainty from a parametric bootstrap over the coefficient covariance.

Plain numpy and scipy special functions: no model library, so every number can be traced.
The model is associational: a what-if says what the fitted relation expects if a covariate
changed and everything else stayed as it is, not what an intervention would cause.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import special
from scipy import stats as sps

from analysis import stats

# Penalty on every slope (not the intercept): a weak N(0, 1/ridge) prior on the log-odds scale,
# enough to keep estimates finite when a category has no events, negligible with thousands of rows.
DEFAULT_RIDGE = 1.0
DEFAULT_DRAWS = 400
DEFAULT_SEED = 20240611


@dataclass
class LogitFit:
    """A fitted logistic regression and how well it fits."""

    names: list[str]
    coef: np.ndarray
    se: np.ndarray
    cov: np.ndarray
    n: int
    events: int
    loglik: float
    loglik_null: float
    iterations: int
    converged: bool
    ridge: float
    auc: float
    calibration: pd.DataFrame = field(repr=False)
    hosmer_lemeshow: float = float("nan")
    hosmer_lemeshow_p: float = float("nan")

    @property
    def mcfadden_r2(self) -> float:
        """McFadden's pseudo-R²: 1 - logL(model) / logL(intercept only)."""
        if not np.isfinite(self.loglik_null) or self.loglik_null == 0:
            return float("nan")
        return 1.0 - self.loglik / self.loglik_null

    def table(self, confidence: float = 0.95) -> pd.DataFrame:
        """Coefficients with standard errors, odds ratios, Wald intervals and p-values."""
        z = float(special.ndtri(0.5 + confidence / 2))
        with np.errstate(divide="ignore", invalid="ignore"):
            wald = self.coef / self.se
        return pd.DataFrame({
            "term": self.names, "coef": self.coef, "se": self.se,
            "odds_ratio": np.exp(self.coef), "or_low": np.exp(self.coef - z * self.se),
            "or_high": np.exp(self.coef + z * self.se), "z": wald,
            "p_value": 2 * special.ndtr(-np.abs(wald)),
        })

    def quality(self) -> dict[str, float]:
        return {"n": self.n, "events": self.events, "log_likelihood": self.loglik,
                "null_log_likelihood": self.loglik_null, "mcfadden_r2": self.mcfadden_r2, "auc": self.auc,
                "hosmer_lemeshow": self.hosmer_lemeshow, "hosmer_lemeshow_p": self.hosmer_lemeshow_p,
                "iterations": self.iterations, "converged": self.converged}


def sigmoid(x: np.ndarray) -> np.ndarray:
    return special.expit(x)


def _loglik(y: np.ndarray, eta: np.ndarray) -> float:
    # log p = -log(1 + e^-eta), log(1 - p) = -log(1 + e^eta), computed without overflow.
    return float(-(y * np.logaddexp(0.0, -eta) + (1 - y) * np.logaddexp(0.0, eta)).sum())


def fit_logistic(X: np.ndarray, y: np.ndarray, names: list[str] | None = None, *, ridge: float = DEFAULT_RIDGE,
                 max_iter: int = 100, tol: float = 1e-9, calibration_bins: int = 10) -> LogitFit:
    """Maximise the ridge-penalised log-likelihood by Newton-Raphson (IRLS).

    ``X`` must carry its own intercept column, the first one; it is not penalised.
    Standard errors come from the inverse of the penalised Hessian X'WX + ridge·I
    at the optimum.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float).ravel()
    n, k = X.shape
    if len(y) != n:
        raise ValueError(f"X has {n} rows but y has {len(y)}")
    if n == 0:
        raise ValueError("no rows to fit")
    if np.any((y != 0) & (y != 1)):
        raise ValueError("y must be 0 or 1")
    names = list(names) if names is not None else [f"x{i}" for i in range(k)]
    penalty = np.full(k, float(ridge))
    penalty[0] = 0.0
    beta = np.zeros(k)
    mean_y = y.mean()
    if 0 < mean_y < 1:
        beta[0] = np.log(mean_y / (1 - mean_y))
    converged = False
    it = 0
    while it < max_iter:
        it += 1
        eta = X @ beta
        p = sigmoid(eta)
        w = p * (1 - p)
        grad = X.T @ (y - p) - penalty * beta
        hess = (X * w[:, None]).T @ X + np.diag(penalty)
        step = np.linalg.solve(hess + 1e-12 * np.eye(k), grad)
        # Step halving keeps the penalised likelihood rising when a full step overshoots.
        objective = _loglik(y, eta) - 0.5 * float(penalty @ beta ** 2)
        scale = 1.0
        for _ in range(30):
            cand = beta + scale * step
            obj = _loglik(y, X @ cand) - 0.5 * float(penalty @ cand ** 2)
            if obj >= objective - 1e-12:
                break
            scale /= 2
        beta = cand
        if np.max(np.abs(scale * step)) < tol:
            converged = True
            break
    eta = X @ beta
    p = sigmoid(eta)
    w = p * (1 - p)
    hess = (X * w[:, None]).T @ X + np.diag(penalty)
    cov = np.linalg.pinv(hess)
    cov = (cov + cov.T) / 2
    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    events = int(y.sum())
    ll0 = _loglik(y, np.full(n, np.log(mean_y / (1 - mean_y)))) if 0 < mean_y < 1 else 0.0
    calib = calibration_table(y, p, calibration_bins)
    hl, hl_p = hosmer_lemeshow(calib)
    return LogitFit(names=names, coef=beta, se=se, cov=cov, n=n, events=events, loglik=_loglik(y, eta),
                    loglik_null=ll0, iterations=it, converged=converged, ridge=float(ridge), auc=auc(y, p),
                    calibration=calib, hosmer_lemeshow=hl, hosmer_lemeshow_p=hl_p)


def predict(fit: LogitFit, X: np.ndarray) -> np.ndarray:
    return sigmoid(np.asarray(X, dtype=float) @ fit.coef)


def auc(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve (the Mann-Whitney statistic; ties count one half)."""
    y = np.asarray(y, dtype=float).ravel()
    score = np.asarray(score, dtype=float).ravel()
    n1 = int((y == 1).sum())
    n0 = len(y) - n1
    if n1 == 0 or n0 == 0:
        return float("nan")
    ranks = sps.rankdata(score)
    return float((ranks[y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def calibration_table(y: np.ndarray, p: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Observed versus predicted by equal-count groups of the predicted probability (deciles by default)."""
    y = np.asarray(y, dtype=float).ravel()
    p = np.asarray(p, dtype=float).ravel()
    n = len(y)
    if n == 0:
        return pd.DataFrame(columns=["group", "n", "predicted", "expected", "events", "observed", "low", "high"])
    bins = max(1, min(bins, n))
    order = np.argsort(p, kind="mergesort")
    group = np.empty(n, dtype=int)
    group[order] = np.arange(n) * bins // n
    frame = pd.DataFrame({"group": group + 1, "y": y, "p": p})
    out = frame.groupby("group").agg(n=("y", "size"), predicted=("p", "mean"), expected=("p", "sum"),
                                     events=("y", "sum"), p_low=("p", "min"), p_high=("p", "max")).reset_index()
    out["observed"] = out["events"] / out["n"]
    out["low"], out["high"] = stats.wilson_interval(out["events"].to_numpy(), out["n"].to_numpy())
    return out


def hosmer_lemeshow(calib: pd.DataFrame) -> tuple[float, float]:
    """Hosmer-Lemeshow statistic over the calibration groups and its chi-square p-value (groups - 2 df)."""
    if calib is None or len(calib) < 3:
        return float("nan"), float("nan")
    e = calib["expected"].to_numpy(float)
    o = calib["events"].to_numpy(float)
    n = calib["n"].to_numpy(float)
    var = e * (1 - e / n)
    ok = var > 0
    stat = float((((o - e) ** 2)[ok] / var[ok]).sum())
    df = len(calib) - 2
    return stat, float(sps.chi2.sf(stat, df))


# -- design matrices ---------------------------------------------------------------

@dataclass(frozen=True)
class Design:
    """How a frame becomes a model matrix: centred numeric columns and dummy-coded categories.

    Built once from the fitting data (``Design.from_frame``) and reused for what-ifs,
    so a changed frame lands in the same columns.
    """

    numeric: tuple[str, ...]
    centres: tuple[float, ...]
    categorical: tuple[tuple[str, tuple[str, ...]], ...]  # (column, levels); the first level is the reference

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, numeric: list[str], categorical: list[str]) -> Design:
        num, centres = [], []
        for c in numeric:
            col = frame[c].astype(float)
            if col.nunique() > 1:
                num.append(c)
                centres.append(float(col.mean()))
        cats = []
        for c in categorical:
            counts = frame[c].astype(str).value_counts()
            if len(counts) > 1:
                # The commonest level is the reference, so every other level is compared with the usual case.
                levels = [counts.index[0]] + sorted(counts.index[1:])
                cats.append((c, tuple(levels)))
        return cls(tuple(num), tuple(centres), tuple(cats))

    @property
    def names(self) -> list[str]:
        out = ["intercept", *self.numeric]
        for c, levels in self.categorical:
            out += [f"{c}={lv}" for lv in levels[1:]]
        return out

    def matrix(self, frame: pd.DataFrame) -> np.ndarray:
        cols = [np.ones(len(frame))]
        for c, centre in zip(self.numeric, self.centres):
            cols.append(frame[c].to_numpy(float) - centre)
        for c, levels in self.categorical:
            values = frame[c].astype(str).to_numpy()
            for lv in levels[1:]:
                cols.append((values == lv).astype(float))
        return np.column_stack(cols)


# -- what-ifs -------------------------------------------------------------------------

def coefficient_draws(fit: LogitFit, draws: int = DEFAULT_DRAWS, seed: int = DEFAULT_SEED) -> np.ndarray:
    """Coefficient vectors drawn from N(estimate, covariance) (draws × k), seeded."""
    rng = np.random.default_rng(seed)
    vals, vecs = np.linalg.eigh(fit.cov)
    root = vecs * np.sqrt(np.clip(vals, 0, None))
    return fit.coef + rng.standard_normal((draws, len(fit.coef))) @ root.T


def expected_change(fit: LogitFit, X_base: np.ndarray, X_whatif: np.ndarray, draws: int = DEFAULT_DRAWS,
                    seed: int = DEFAULT_SEED, confidence: float = 0.95, chunk: int = 50) -> dict[str, float]:
    """Expected number of events under the baseline and the what-if, and the change, with intervals.

    Point values use the fitted coefficients; intervals are percentiles over coefficient vectors
    drawn from their estimated sampling distribution (a parametric bootstrap), so they carry the
    model's estimation uncertainty, not the randomness of future events.
    """
    X0 = np.asarray(X_base, dtype=float)
    X1 = np.asarray(X_whatif, dtype=float)
    base = float(predict(fit, X0).sum())
    scen = float(predict(fit, X1).sum())
    betas = coefficient_draws(fit, draws, seed)
    b_sum = np.empty(len(betas))
    s_sum = np.empty(len(betas))
    for start in range(0, len(betas), chunk):
        part = betas[start:start + chunk].T
        b_sum[start:start + chunk] = sigmoid(X0 @ part).sum(axis=0)
        s_sum[start:start + chunk] = sigmoid(X1 @ part).sum(axis=0)
    lo_q, hi_q = 50 * (1 - confidence), 50 * (1 + confidence)
    diff = s_sum - b_sum
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(b_sum > 0, diff / b_sum, np.nan)
    return {
        "n": len(X0), "baseline": base, "whatif": scen, "change": scen - base,
        "relative": (scen - base) / base if base > 0 else float("nan"),
        "baseline_low": float(np.percentile(b_sum, lo_q)), "baseline_high": float(np.percentile(b_sum, hi_q)),
        "whatif_low": float(np.percentile(s_sum, lo_q)), "whatif_high": float(np.percentile(s_sum, hi_q)),
        "change_low": float(np.percentile(diff, lo_q)), "change_high": float(np.percentile(diff, hi_q)),
        "relative_low": float(np.nanpercentile(rel, lo_q)) if np.isfinite(rel).any() else float("nan"),
        "relative_high": float(np.nanpercentile(rel, hi_q)) if np.isfinite(rel).any() else float("nan"),
        "draws": len(betas), "seed": seed,
    }

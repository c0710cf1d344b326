"""What if: logistic models of venting and kudos on the conversations, and what-ifs of faster service
(glue over ``analysis.whatif``)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import sqlite_utils

from analysis import memo, whatif
from analysis.continuum.conversations import thread_mask
from analysis.continuum.escalation import WHATIF_PUBLIC_ONLY, public_only
from analysis.continuum.going_public import OUTCOMES, bases, outcome_frame
from analysis.continuum.vocabulary import labels_of, vocabulary
from analysis.filters import Filters

NUMERIC = ["log_resolution_h", "not_resolved", "log_first_response_h", "no_response"]
CATEGORICAL = ["start_channel", "segment"]
TERM_WORDS = {
    "log_resolution_h": "Resolution time (each doubling)",
    "not_resolved": "Not resolved (versus resolved in the average time)",
    "log_first_response_h": "First-response time (each doubling)",
    "no_response": "No response at all",
}
# Floors before taking logs: a minute for a first response, six minutes for a resolution.
MIN_RESPONSE_H = 1 / 60
MIN_RESOLUTION_H = 0.1


def model_covariates(threads: pd.DataFrame, resolution_factor: float = 1.0,
                     first_response_cap_h: float | None = None) -> pd.DataFrame:
    """The model's covariates per thread, optionally under a what-if.

    Scenario: every resolved thread's resolution time multiplied by ``resolution_factor``; every
    first response later than ``first_response_cap_h`` hours moved to that cap. Unresolved threads,
    threads never answered, the channel and the segment are held as they are.
    """
    res = threads["resolution_h"].to_numpy(dtype=float) * resolution_factor
    frt = threads["first_response_h"].to_numpy(dtype=float)
    if first_response_cap_h is not None:
        frt = np.where(np.isnan(frt), np.nan, np.minimum(frt, first_response_cap_h))
    resolved = ~np.isnan(res)
    responded = ~np.isnan(frt)
    return pd.DataFrame({
        "log_resolution_h": np.where(resolved, np.log(np.maximum(np.nan_to_num(res), MIN_RESOLUTION_H)), 0.0),
        "not_resolved": (~resolved).astype(float),
        "log_first_response_h": np.where(responded, np.log(np.maximum(np.nan_to_num(frt), MIN_RESPONSE_H)), 0.0),
        "no_response": (~responded).astype(float),
        "start_channel": threads["start_channel"].astype(str).to_numpy(),
        "segment": threads["segment"].fillna("unknown").astype(str).to_numpy(),
    }, index=threads.index)


@dataclass
class Model:
    outcome: str
    fit: whatif.LogitFit
    design: whatif.Design
    coefficients: pd.DataFrame   # term, words, coef, se, odds_ratio, or_low, or_high, p_value, doubling_or, ...


@dataclass
class WhatIf:
    models: dict[str, Model]             # by outcome; missing when there were too few events to fit
    notes: dict[str, str]                # why a model is missing
    population: int                      # threads the what-if applies to (filters and focus)
    observed: dict[str, int]             # observed events in that population
    effects: dict[str, dict[str, float]]  # outcome -> whatif.expected_change result
    resolution_cut: float
    first_response_cap_h: float | None
    warnings: list[str] = field(default_factory=list)  # where the what-if leaves the data's range


MIN_EVENTS = 10
# A what-if extrapolates when it puts more than this share of the conversations beyond the
# observed 1st (or 99th) percentile of a predictor: ten times as many as the data has there.
EXTRAPOLATION_SHARE = 0.10


def whatif_words(resolution_cut: float, first_response_cap_h: float | None) -> str:
    """The what-if in words: "resolution 50% faster and a first reply within 4 hours"."""
    parts = ([f"resolution {resolution_cut:.0%} faster"] if resolution_cut else []) + \
        ([f"a first reply within {_n_hours(first_response_cap_h)}"] if first_response_cap_h is not None else [])
    return " and ".join(parts) or "no change"


def _n_hours(h: float) -> str:
    return f"{h:g} hour" + ("" if h == 1 else "s")


def _hours(h: float) -> str:
    return f"{h * 60:.0f} minutes" if h < 1 else f"{h:,.1f} hours"


def extrapolation(population: pd.DataFrame, resolution_cut: float,
                  first_response_cap_h: float | None) -> list[str]:
    """Warnings, in words, when the what-if moves many conversations outside the observed range of
    resolution or first-response time: the model has seen almost no conversations there, so what it
    predicts is an extrapolation of its fitted curve, not something the data shows."""
    out = []
    res = population["resolution_h"].to_numpy(dtype=float) if len(population) else np.array([])
    res = res[~np.isnan(res)]
    if resolution_cut > 0 and len(res) >= 20:
        p1 = float(np.quantile(res, 0.01))
        below = float(np.mean(res * (1.0 - resolution_cut) < p1))
        if below > EXTRAPOLATION_SHARE:
            out.append(f"Beyond the data: resolution {resolution_cut:.0%} faster puts {below:.0%} of the resolved "
                       f"conversations below {_hours(p1)}, faster than all but 1% of the conversations observed. "
                       "The model has seen almost none that fast; its figures there extend the fitted curve and "
                       "are not supported by the data.")
    frt = population["first_response_h"].to_numpy(dtype=float) if len(population) else np.array([])
    frt = frt[~np.isnan(frt)]
    if first_response_cap_h is not None and len(frt) >= 20:
        p1 = float(np.quantile(frt, 0.01))
        moved = float(np.mean(np.minimum(frt, first_response_cap_h) < p1))
        if moved > EXTRAPOLATION_SHARE:
            out.append(f"Beyond the data: a first reply within {_n_hours(first_response_cap_h)} puts {moved:.0%} of "
                       f"the answered conversations below {_hours(p1)}, faster than all but 1% observed; the "
                       "model's figures there are an extrapolation.")
    return out


def fit_models(labelled: pd.DataFrame, ridge: float = whatif.DEFAULT_RIDGE,
               labels: dict[str, str] | None = None) -> tuple[dict[str, Model], dict[str, str]]:
    """One logistic model per outcome on the linked threads (needs 10 events and 10 non-events)."""
    models: dict[str, Model] = {}
    notes: dict[str, str] = {}
    if labelled.empty:
        return models, {o: "No conversations of linked customers under these filters." for o in OUTCOMES}
    cov = model_covariates(labelled)
    design = whatif.Design.from_frame(cov, NUMERIC, CATEGORICAL)
    X = design.matrix(cov)
    for outcome in OUTCOMES:
        y = labelled[outcome].to_numpy().astype(float)
        events, non = int(y.sum()), int(len(y) - y.sum())
        if events < MIN_EVENTS or non < MIN_EVENTS:
            notes[outcome] = (f"Too few cases to fit a model: {events:,} with and {non:,} without "
                              f"(at least {MIN_EVENTS} of each are needed).")
            continue
        fit = whatif.fit_logistic(X, y, design.names, ridge=ridge)
        table = fit.table()
        table["words"] = [_term_words(t, labels or {}) for t in table["term"]]
        # For the log terms, the odds ratio per doubling says it in words people use.
        doubling = table["term"].isin(["log_resolution_h", "log_first_response_h"])
        table["doubling_or"] = np.where(doubling, np.exp(table["coef"] * np.log(2)), np.nan)
        table["doubling_low"] = np.where(doubling, np.exp((table["coef"] - 1.959964 * table["se"]) * np.log(2)),
                                         np.nan)
        table["doubling_high"] = np.where(doubling, np.exp((table["coef"] + 1.959964 * table["se"]) * np.log(2)),
                                          np.nan)
        models[outcome] = Model(outcome, fit, design, table)
    return models, notes


def _term_words(term: str, labels: dict[str, str]) -> str:
    if term == "intercept":
        return "Baseline (commonest channel and segment, average times)"
    if term in TERM_WORDS:
        return TERM_WORDS[term]
    col, _, level = term.partition("=")
    return f"Started on {labels.get(level, level)}" if col == "start_channel" else f"Segment {level}"


def whatif_effects(models: dict[str, Model], population: pd.DataFrame, resolution_cut: float,
                     first_response_cap_h: float | None, draws: int = whatif.DEFAULT_DRAWS,
                     seed: int = whatif.DEFAULT_SEED) -> dict[str, dict[str, float]]:
    """Expected events in ``population`` now and under the what-if, per fitted model, with intervals."""
    if population.empty:
        return {}
    base_cov = model_covariates(population)
    scen_cov = model_covariates(population, 1.0 - resolution_cut, first_response_cap_h)
    out = {}
    for outcome, model in models.items():
        X0 = model.design.matrix(base_cov)
        X1 = model.design.matrix(scen_cov)
        out[outcome] = whatif.expected_change(model.fit, X0, X1, draws=draws, seed=seed)
    return out


def whatif_models(db: sqlite_utils.Database, f: Filters, window_days: int = 7,
                  brand_only: bool = True) -> tuple[dict[str, Model], dict[str, str], int]:
    """The fitted models on every linked conversation under the filters (not the focus)."""
    def fit():
        base, posts = bases(db, brand_only)
        labelled, _ = outcome_frame(base, posts, thread_mask(base, f), f, window_days)
        models, notes = fit_models(labelled, labels=labels_of(vocabulary(db)))
        return models, notes, len(labelled)
    return memo.kept(db, "whatif_models", fit, (f, int(window_days), bool(brand_only)), settings=True)


def whatif_view(db: sqlite_utils.Database, f: Filters, focus: tuple[str, ...] = (), path: str | None = None,
                window_days: int = 7, brand_only: bool = True, resolution_cut: float = 0.0,
                first_response_cap_h: float | None = None) -> WhatIf:
    """Models fitted on all linked conversations under the filters, applied to those in focus. On
    public-only data no model is fitted: every outcome's note says why (``PUBLIC_ONLY_NOTE``)."""
    if public_only(db):
        return WhatIf(models={}, notes={o: WHATIF_PUBLIC_ONLY for o in OUTCOMES}, population=0,
                      observed={o: 0 for o in OUTCOMES}, effects={}, resolution_cut=float(resolution_cut),
                      first_response_cap_h=first_response_cap_h)
    models, notes, _ = whatif_models(db, f, window_days, brand_only)
    base, posts = bases(db, brand_only)
    labelled, _ = outcome_frame(base, posts, thread_mask(base, f, focus, path), f, window_days)
    effects = whatif_effects(models, labelled, resolution_cut, first_response_cap_h)
    return WhatIf(models=models, notes=notes, population=len(labelled),
                  observed={o: int(labelled[o].sum()) if len(labelled) else 0 for o in OUTCOMES},
                  effects=effects, resolution_cut=float(resolution_cut), first_response_cap_h=first_response_cap_h,
                  warnings=extrapolation(labelled, resolution_cut, first_response_cap_h) if effects else [])

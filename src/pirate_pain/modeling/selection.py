"""Ensemble selection on out-of-fold predictions (Caruana et al. 2004).

Greedy forward selection with replacement: start from the best single candidate,
then repeatedly add the candidate (possibly again) whose probabilities, averaged
with those chosen so far, give the highest macro F1; keep the best prefix. Only
out-of-fold predictions are used, so the test split is never seen.

On small data many candidates tie on macro F1 (one sequence moves it by a step), so
ties are broken by the out-of-fold log loss, a proper score that still tells the
more confident right answers from the lucky ones; then by the order listed.
"""

from __future__ import annotations

from collections import Counter
from typing import NamedTuple

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold

from .scores import macro_f1, mean_log_loss


def _score(y: np.ndarray, probs: np.ndarray) -> tuple[float, float]:
    """Mean macro F1 over repeats and the negated mean log loss, rounded so that
    equal scores tie exactly; ``probs`` is (repeats, N, K). Larger is better."""
    f1 = np.mean([macro_f1(y, p) for p in probs])
    loss = np.mean([mean_log_loss(y, p) for p in probs])
    return round(float(f1), 10), round(-float(loss), 10)


def greedy_selection(
    probs: dict[str, np.ndarray], y: np.ndarray, max_members: int = 10
) -> dict:
    """Choose members (with replacement) maximising out-of-fold soft-vote macro F1.

    Args:
        probs: Per candidate, (repeats, N, K) out-of-fold probabilities, rows in the
            same sample order for every candidate.
        y: (N,) labels.
        max_members: Most picks (a candidate picked twice counts twice).

    Returns:
        ``weights`` (candidate -> picks), ``oof_macro_f1`` and ``oof_log_loss`` of
        the selection, the best single candidate and its macro F1, and the scores
        after every pick.
    """
    singles = {name: _score(y, p) for name, p in probs.items()}
    # ties: the candidate listed first
    best_single = max(probs, key=lambda n: (singles[n], -list(probs).index(n)))
    chosen, total = [best_single], probs[best_single].copy()
    path = [singles[best_single]]
    while len(chosen) < max_members:
        trials = {
            name: _score(y, (total + p) / (len(chosen) + 1))
            for name, p in probs.items()
        }
        pick = max(trials, key=lambda n: (trials[n], -list(probs).index(n)))
        chosen.append(pick)
        total += probs[pick]
        path.append(trials[pick])
    # the first best prefix: fewest members
    best = max(range(len(path)), key=lambda i: (path[i], -i))
    kept = chosen[: best + 1]
    return {
        "weights": dict(Counter(kept)),
        "oof_macro_f1": path[best][0],
        "oof_log_loss": -path[best][1],
        "best_single": best_single,
        "best_single_oof_macro_f1": singles[best_single][0],
        "path": [
            {"added": n, "oof_macro_f1": s[0], "oof_log_loss": -s[1]}
            for n, s in zip(chosen, path)
        ],
    }


def _bootstrap_rows(y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A bootstrap sample of row indices drawn within each class, so that every
    class keeps its count (a rare class never vanishes from a bag)."""
    return np.concatenate(
        [rng.choice(np.flatnonzero(y == c), (y == c).sum()) for c in np.unique(y)]
    )


def bagged_selection(
    probs: dict[str, np.ndarray],
    y: np.ndarray,
    max_members: int = 10,
    bags: int = 25,
    seed: int = 0,
) -> dict:
    """Greedy selection on ``bags`` bootstrap samples of the out-of-fold rows,
    each run's weights normalised and averaged (bagged ensemble selection,
    Caruana et al. 2006): a member must win on many resamples, not on the noise
    of one set of folds.

    Returns:
        What ``greedy_selection`` returns (``weights`` are now fractions summing to
        1), scored on every row, and ``bags``: each bag's picks.
    """
    rng = np.random.default_rng(seed)
    weights: Counter = Counter()
    picks = []
    for _ in range(bags):
        rows = _bootstrap_rows(y, rng)
        picked = {n: p[:, rows] for n, p in probs.items()}
        bag = greedy_selection(picked, y[rows], max_members)
        total = sum(bag["weights"].values())
        weights.update({n: k / total / bags for n, k in bag["weights"].items()})
        picks.append(bag["weights"])
    weights = {n: round(weights[n], 6) for n in probs if weights[n] > 0}
    mean = _vote(probs, weights)
    full = greedy_selection(probs, y, max_members)
    f1, loss = _score(y, mean)
    return full | {
        "weights": weights,
        "oof_macro_f1": f1,
        "oof_log_loss": -loss,
        "bags": picks,
    }


def _vote(probs: dict[str, np.ndarray], weights: dict[str, float]) -> np.ndarray:
    total = sum(w * probs[n] for n, w in weights.items())
    return total / sum(weights.values())


def anchored_selection(
    probs: dict[str, np.ndarray],
    y: np.ndarray,
    max_members: int = 10,
    anchor: str = "multirocket_hydra",
    confidence: float = 0.0,
    outer: int = 5,
    seed: int = 0,
    draws: int = 200,
) -> dict:
    """Greedy selection where its choices clearly beat one trusted candidate
    (``anchor``) on rows they were not chosen on; otherwise the anchor alone.

    Greedy's own out-of-fold score flatters it: it picked the members on those
    rows. Here the rows are split into ``outer`` stratified folds; greedy chooses on
    the other folds and its vote predicts the fold left out. Greedy's choice on all
    rows is kept only when the macro F1 of those predictions is above the anchor's
    on the same rows (a tie keeps the anchor) and, with ``confidence`` above 0,
    stays above it in at least that share of ``draws`` stratified bootstrap samples
    of those rows (on 67 rows a lead of one sequence holds in about 2 of 3). The
    share is reported either way. Without the anchor among ``probs`` (dropped by
    racing) or with a class of one row, it is greedy.

    Returns:
        What ``greedy_selection`` returns, with ``anchor``: the anchor, the nested
        macro F1 of greedy's choices, the anchor's, the share of draws where
        greedy's lead holds, and whether the anchor is kept.
    """
    full = greedy_selection(probs, y, max_members)
    splits = min(outer, int(np.bincount(y)[np.unique(y)].min()))
    if anchor not in probs or splits < 2:
        return full | {"anchor": {"name": anchor, "kept": False, "checked": False}}
    nested = np.zeros_like(probs[anchor])
    folds = StratifiedKFold(splits, shuffle=True, random_state=seed).split(y, y)
    for inner, held in folds:
        inner_probs = {n: p[:, inner] for n, p in probs.items()}
        weights = greedy_selection(inner_probs, y[inner], max_members)["weights"]
        nested[:, held] = _vote({n: p[:, held] for n, p in probs.items()}, weights)
    greedy_f1, (anchor_f1, anchor_loss) = _score(y, nested)[0], _score(y, probs[anchor])
    share = _lead_share(nested, probs[anchor], y, draws, seed)
    kept = not (greedy_f1 > anchor_f1 and share >= confidence)
    check = {
        "name": anchor,
        "kept": kept,
        "checked": True,
        "greedy_nested_macro_f1": greedy_f1,
        "anchor_macro_f1": anchor_f1,
        "lead_share": share,
        "confidence": confidence,
    }
    if not kept:
        return full | {"anchor": check}
    return full | {
        "weights": {anchor: 1},
        "oof_macro_f1": anchor_f1,
        "oof_log_loss": -anchor_loss,
        "anchor": check,
    }


def _lead_share(
    nested: np.ndarray, anchor: np.ndarray, y: np.ndarray, draws: int, seed: int
) -> float:
    """Share of stratified bootstrap samples of the rows on which the nested
    predictions' macro F1 is above the anchor's (both (repeats, N, K))."""
    rng = np.random.default_rng(seed)
    leads = 0
    for _ in range(draws):
        rows = _bootstrap_rows(y, rng)
        ahead = _score(y[rows], nested[:, rows])[0]
        leads += ahead > _score(y[rows], anchor[:, rows])[0]
    return round(leads / draws, 4)


SELECTION_RULES = {
    "greedy": greedy_selection,
    "bagged": bagged_selection,
    "anchored": anchored_selection,
}


class OutOfFold(NamedTuple):
    """The comparison's out-of-fold table as arrays, rows in sample order."""

    probs: dict[str, np.ndarray]  # candidate -> (repeats, N, K) probabilities
    y: np.ndarray  # (N,) class indices
    sample_ids: list[str]  # (N,) sample ids
    raced: list[str]  # left out: racing gave them rows of some folds only


def out_of_fold_arrays(oof: pd.DataFrame, candidates: list[str]) -> OutOfFold:
    """The comparison's out-of-fold table as arrays for the rules above (and for
    calibrating a vote on it), over the candidates with rows for every fold."""
    columns = [c for c in oof.columns if c.startswith("p_")]
    class_names = [c.removeprefix("p_") for c in columns]
    rows_of = oof.groupby("configuration").size()
    raced = [n for n in candidates if rows_of.get(n, 0) < rows_of.max()]
    repeats = oof["repeat"].nunique()
    probs, first = {}, None
    for name in [n for n in candidates if n not in raced]:
        rows = oof[oof["configuration"] == name].sort_values(["repeat", "sample_index"])
        values = rows[columns].to_numpy(dtype=np.float64)
        probs[name] = values.reshape(repeats, -1, len(columns))
        if first is None:
            first = rows[rows["repeat"] == rows["repeat"].min()]
    y = first["label"].astype(str).map(class_names.index).to_numpy()
    return OutOfFold(probs, y, first["sample_index"].astype(str).tolist(), raced)

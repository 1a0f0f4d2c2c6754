"""Ensemble selection on out-of-fold predictions (Caruana et al. 2004).

Greedy forward selection with replacement: start from the best single candidate,
then repeatedly add the candidate (possibly again) whose probabilities, averaged
with those chosen so far, give the highest macro F1; keep the best prefix. Only
out-of-fold predictions are used, so the test split is never seen.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from sklearn.metrics import f1_score


def _macro_f1(y: np.ndarray, probs: np.ndarray) -> float:
    labels = range(probs.shape[-1])
    return float(
        f1_score(y, probs.argmax(-1), average="macro", labels=labels, zero_division=0)
    )


def _score(y: np.ndarray, probs: np.ndarray) -> float:
    """Mean macro F1 over repeats; ``probs`` is (repeats, N, K)."""
    return float(np.mean([_macro_f1(y, p) for p in probs]))


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
        ``weights`` (candidate -> picks), ``oof_macro_f1`` of the selection, the
        best single candidate and its score, and the score after every pick.
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
    best = int(np.argmax(path))  # first best prefix: fewest members
    kept = chosen[: best + 1]
    return {
        "weights": dict(Counter(kept)),
        "oof_macro_f1": path[best],
        "best_single": best_single,
        "best_single_oof_macro_f1": singles[best_single],
        "path": [{"added": n, "oof_macro_f1": s} for n, s in zip(chosen, path)],
    }

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

import numpy as np

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

"""Intervals for repeated k-fold scores: the Nadeau-Bengio corrected resampled t.

Resampled training sets overlap, so fold scores are correlated and the plain t
interval is too narrow. Nadeau & Bengio (2003) inflate the variance of the mean of
J = folds x repeats scores by ``1/J + n_test/n_train``.
"""

from __future__ import annotations

import numpy as np
from scipy import stats


def corrected_interval(
    scores: np.ndarray, n_train: int, n_test: int, confidence: float = 0.95
) -> tuple[float, float, float, float]:
    """Mean, standard deviation and the corrected ``confidence`` interval."""
    scores = np.asarray(scores, dtype=np.float64)
    mean, std = float(scores.mean()), _sample_std(scores)
    half = _half_width(std, len(scores), n_train, n_test, confidence)
    return mean, std, mean - half, mean + half


def paired_difference(
    scores: np.ndarray,
    reference: np.ndarray,
    n_train: int,
    n_test: int,
    confidence: float = 0.95,
) -> tuple[float, float, float, float]:
    """Mean difference to ``reference`` on the same folds, its corrected interval
    and the two-sided p-value of "no difference" (1.0 when every difference is 0)."""
    diff = np.asarray(scores, dtype=np.float64) - np.asarray(reference)
    mean, std = float(diff.mean()), _sample_std(diff)
    if len(diff) < 2:  # one fold (a raced candidate): no spread, no test
        return mean, float("nan"), float("nan"), float("nan")
    if std == 0.0:
        return mean, mean, mean, 1.0 if mean == 0.0 else 0.0
    half = _half_width(std, len(diff), n_train, n_test, confidence)
    scale = std * np.sqrt(1 / len(diff) + n_test / n_train)
    p_value = float(2 * stats.t.sf(abs(mean) / scale, df=len(diff) - 1))
    return mean, mean - half, mean + half, p_value


def _sample_std(values: np.ndarray) -> float:
    """The sample standard deviation; NaN for a single value (no spread known)."""
    return float(values.std(ddof=1)) if len(values) > 1 else float("nan")


def _half_width(std, count, n_train, n_test, confidence) -> float:
    if count < 2:
        return float("nan")
    scale = std * np.sqrt(1 / count + n_test / n_train)
    return float(stats.t.ppf(0.5 + confidence / 2, df=count - 1) * scale)


def best_mean(scores: dict[str, list[float]]) -> str:
    """The leader: the best mean macro F1 over the folds so far (ties: listed first)."""
    return max(scores, key=lambda n: (np.mean(scores[n]), -list(scores).index(n)))


def race(scores: dict[str, list[float]], margin: float) -> dict[str, str]:
    """Candidates clearly behind after the folds scored so far (racing).

    The rule, paired and conservative: a candidate is dropped when it is below the
    leader (the best mean so far) on every one of those folds, each time by more
    than ``margin`` macro F1. A candidate that wins or ties any fold stays.

    Returns:
        The dropped candidates, each with the reason in one sentence.
    """
    leader = best_mean(scores)
    dropped = {}
    for name, values in scores.items():
        gaps = np.asarray(scores[leader]) - np.asarray(values)
        if name != leader and len(gaps) and (gaps > margin).all():
            dropped[name] = (
                f"below {leader} on each of the first {len(gaps)} folds by "
                f"{gaps.min():.3f}-{gaps.max():.3f} macro F1 (margin {margin})"
            )
    return dropped


def halve(
    scores: dict[str, list[float]], losses: dict[str, float], keep: int
) -> dict[str, str]:
    """Successive halving: the better half of the candidates (rounded up, at least
    ``keep``) go on; the others are dropped. Better: the higher mean macro F1 over
    the folds so far, then the lower mean log loss (ties at macro F1 1.0 are common
    on small data), then the order listed.

    Returns:
        The dropped candidates, each with the reason in one sentence.
    """
    names = list(scores)
    ranked = sorted(
        names, key=lambda n: (-np.mean(scores[n]), losses[n], names.index(n))
    )
    survivors = max(keep, (len(names) + 1) // 2)
    last = ranked[min(survivors, len(names)) - 1]  # the last one kept
    return {
        name: (
            f"not in the better half after {len(scores[name])} folds: macro F1 "
            f"{np.mean(scores[name]):.3f} (log loss {losses[name]:.3f}) against "
            f"{np.mean(scores[last]):.3f} ({losses[last]:.3f}) of {last}, the last kept"
        )
        for name in ranked[survivors:]
    }


def not_picked(scores: dict[str, list[float]], picks: dict[str, int]) -> dict[str, str]:
    """Racing by the selection: the candidates the ensemble selection did not pick
    on the out-of-fold rows so far (``picks``) are dropped, except the leader (the
    best mean macro F1 so far), which always goes on.

    Returns:
        The dropped candidates, each with the reason in one sentence.
    """
    leader = best_mean(scores)
    chosen = ", ".join(f"{name} x{count}" for name, count in picks.items())
    return {
        name: (
            f"not picked by the ensemble selection on the first "
            f"{len(scores[name])} fold(s) ({chosen}) and not the leader ({leader})"
        )
        for name in scores
        if name not in picks and name != leader
    }

"""What training saw, per input column, and a check that new data looks alike.

Numeric columns: the training distribution at 21 quantile points (the values, and
the training CDF there). A new file's column is compared by the largest CDF gap at
those points (a Kolmogorov-Smirnov distance on a grid), so a swapped, rescaled or
shifted column stands out whatever its units. Categorical columns: the set of values.
"""

from __future__ import annotations

import numpy as np

from ..errors import UserInputError

LEVELS = np.linspace(0.0, 1.0, 21)
DEFAULT_THRESHOLD = 0.2  # largest CDF gap a column may show (README, "Inference")


def _cdf(sorted_values: np.ndarray, points: np.ndarray) -> np.ndarray:
    return np.searchsorted(sorted_values, points, side="right") / max(
        len(sorted_values), 1
    )


def fit_profile(
    steps: np.ndarray, names: list[str], categorical: np.ndarray, cat_names: list[str]
) -> dict:
    """The profile of the training data: ``steps`` (true steps, F) and per-sequence
    categorical values (N, C)."""
    numeric = {}
    for j, name in enumerate(names):
        column = np.sort(steps[:, j].astype(np.float64))
        points = np.quantile(column, LEVELS)
        numeric[name] = {
            "points": points.tolist(),
            "cdf": _cdf(column, points).tolist(),
        }
    categories = {
        name: sorted({str(v) for v in categorical[:, k].tolist()})
        for k, name in enumerate(cat_names)
    }
    return {"numeric": numeric, "categorical": categories}


def column_gaps(profile: dict, steps: np.ndarray, names: list[str]) -> dict[str, float]:
    """Largest CDF gap of each numeric column of new data against training."""
    gaps = {}
    for j, name in enumerate(names):
        spec = profile["numeric"][name]
        column = np.sort(steps[:, j].astype(np.float64))
        points = np.asarray(spec["points"])
        gaps[name] = float(np.abs(_cdf(column, points) - np.asarray(spec["cdf"])).max())
    return gaps


def check_like_training(
    profile: dict,
    steps: np.ndarray,
    names: list[str],
    categorical: np.ndarray,
    cat_names: list[str],
    threshold: float = DEFAULT_THRESHOLD,
) -> None:
    """Refuse data whose columns do not look like training's, naming them."""
    for k, name in enumerate(cat_names):
        seen = set(profile["categorical"].get(name, []))
        unseen = sorted({str(v) for v in categorical[:, k].tolist()} - seen)
        if seen and unseen:
            raise UserInputError(
                f"Column '{name}' has value(s) {', '.join(repr(v) for v in unseen[:3])} "
                f"that training never saw (it saw {', '.join(sorted(seen))}): encode "
                "it as in training, or set inference.accept_unlike_training: true."
            )
    gaps = column_gaps(profile, steps, names)
    off = [n for n in names if gaps[n] > threshold]
    if off:
        listed = ", ".join(f"'{n}' ({gaps[n]:.2f})" for n in off[:4])
        more = f" and {len(off) - 4} more" if len(off) > 4 else ""
        raise UserInputError(
            f"Column(s) {listed}{more} of the input are distributed unlike training "
            f"(largest CDF gap above inference.profile_threshold = {threshold}): the "
            "columns look swapped, rescaled or re-encoded; give each column its "
            "training meaning, or set inference.accept_unlike_training: true."
        )

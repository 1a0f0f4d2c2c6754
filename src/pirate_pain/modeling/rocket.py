"""Feature-transform ensemble members from aeon: convolution kernels (MiniRocket,
MultiRocket-Hydra), quantiles of intervals (QUANT) and dilated shapelets (RDST).

The features are aeon's transforms, fitted exactly as aeon's classifiers fit them
(same seeds, same scalers), then aeon's own head: a ridge classifier with
temperature-scaled probabilities (scikit-learn's ``CalibratedClassifierCV``,
temperature fitted on cross-validated ridge scores; it never changes the ridge's
argmax) for the kernels and shapelets, QUANT's extra-trees forest (its vote
fractions) for the intervals. So a member predicts what aeon's classifier of that
name predicts and also says how sure it is.

Persistence runs no code from the file: the fitted scikit-learn and aeon parts are
one skops blob loaded with a fixed list of trusted types; Hydra is stored as its
seed, input shape, a probe and its scaler's tensors (``hydra.py``); QUANT's
intervals depend on the length only and are rebuilt from it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import UserInputError
from .config import TrainConfig
from .decision import apply_decision
from .hydra import fit_hydra, hydra_features, load_hydra
from .scores import mean_log_loss

FORMAT = "pirate_pain.rocket/1"
logger = logging.getLogger(__name__)
MIN_STEPS = 9  # ROCKET kernels are 9 steps long


@functools.cache
def trusted_types() -> tuple[str, ...]:
    """The only types a member's skops blob may construct (anything else is
    refused): the public classes a member is built from, and the parts
    scikit-learn builds inside a calibrated ridge, read from a tiny one of each
    kind (so no private module path is written here)."""
    import skops.io
    from aeon.transformations.collection.convolution_based import (
        MiniRocket,
        MultiRocket,
    )
    from aeon.transformations.collection.shapelet_based import (
        RandomDilatedShapeletTransform,
    )
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(0)
    tiny = {
        "folds": _fit_classifier(rng.random((6, 2)), np.array([0, 1] * 3), 0, ""),
        "one_row_class": _fit_classifier(
            rng.random((3, 2)), np.array([0, 0, 1]), 0, "", quiet=True
        ),
        "forest": _quant_forest(0).fit(rng.random((4, 2)), np.array([0, 1] * 2)),
    }
    built = skops.io.get_untrusted_types(data=skops.io.dumps(tiny))
    classes = (MiniRocket, MultiRocket, RandomDilatedShapeletTransform, StandardScaler)
    named = [f"{c.__module__}.{c.__qualname__}" for c in classes]
    return tuple(sorted({*built, *named}))


@dataclass
class RocketFit:
    """A fitted ROCKET member; the same interface as ``training.FitResult``."""

    kind: str
    parts: dict[str, Any]  # aeon transforms, scalers, calibrated ridge (by name)
    hydra: dict[str, Any] | None  # Hydra's seed and settings, or None
    steps: int  # sequences are zero-padded (or cut) to this length
    n_classes: int  # every class, also those absent from the training rows
    history: list[dict] = field(default_factory=list)  # one record: one fit
    best_epoch: int = 0
    best_val_macro_f1: float | None = None
    decision: dict | None = None  # the fitted macro_f1 rule (decision.py), or None
    rebuilt: Any = field(default=None, repr=False)  # Hydra / QUANT: built once

    def probabilities(self, data: dict, window=None, decision=True, device=None):
        """(N, K) probabilities on a model input (whole sequences: ``window`` does
        not apply; on the CPU), the decision rule applied (``decision``: false, the
        member's own)."""
        features = _features(self, channels_first(data["x"], self.steps))
        probs = self.class_probabilities(features)
        return apply_decision(probs, self.decision) if decision else probs

    def class_probabilities(self, features: np.ndarray) -> np.ndarray:
        """(N, n_classes): a class the training rows lacked gets probability 0."""
        classifier = self.parts["classifier"]
        probs = np.zeros((len(features), self.n_classes))
        probs[:, classifier.classes_] = classifier.predict_proba(features)
        return probs

    def to_artifact(self, config: TrainConfig, preprocessing: dict[str, Any]):
        """A member file of plain values, tensors and one skops blob."""
        return rocket_artifact(self, config, preprocessing)

    @classmethod
    def from_artifact(cls, artifact: dict[str, Any]) -> RocketFit:
        """The member of an artifact; types outside ``trusted_types()`` are refused."""
        return load_rocket(artifact)


def channels_first(x: np.ndarray, steps: int) -> np.ndarray:
    """(N, T, C) zero-padded model input -> (N, C, steps) float64 for aeon."""
    x = x[:, :steps]
    x = np.pad(x, ((0, 0), (0, steps - x.shape[1]), (0, 0)))
    return np.ascontiguousarray(np.transpose(x, (0, 2, 1)), dtype=np.float64)


def _features(fitted: RocketFit, x: np.ndarray) -> np.ndarray:
    p = fitted.parts
    if fitted.kind in ("minirocket", "rdst"):
        with _flat_stretches_expected():
            return p["scaler"].transform(p[fitted.kind].transform(x))
    if fitted.rebuilt is None:
        fitted.rebuilt = (
            _quant_transform(x.shape[1], fitted.steps)
            if fitted.kind == "quant"
            else load_hydra(fitted.hydra)
        )
    if fitted.kind == "quant":
        return fitted.rebuilt.transform(x)
    hydra = hydra_features(fitted.rebuilt, fitted.hydra, x)
    multi = p["scaler"].transform(p["multirocket"].transform(x))
    return np.concatenate((hydra, multi), axis=1)


@contextmanager
def _flat_stretches_expected():
    """RDST scores a shapelet on a flat stretch (zero padding) as NaN and aeon
    zeroes it with a warning per call: expected for padded sequences."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Some invalid values", UserWarning)
        yield


def _quant_forest(seed: int):
    """QUANT's head as aeon's QUANTClassifier builds it."""
    from sklearn.ensemble import ExtraTreesClassifier

    return ExtraTreesClassifier(
        n_estimators=200, max_features=0.1, criterion="entropy", random_state=seed
    )


def _quant_seed(seed: int) -> int:
    """The forest's seed as aeon's QUANTClassifier draws it when it clones the
    forest with ``random_state=seed`` (one draw of NumPy's legacy generator)."""
    return int(np.random.RandomState(seed).randint(np.iinfo(np.int32).max))


def _quant_transform(channels: int, steps: int):
    """QUANT's intervals: fixed by the input's shape alone (no randomness)."""
    from aeon.transformations.collection.interval_based import QUANTTransformer

    return QUANTTransformer().fit(np.zeros((1, channels, steps)))


def _fit_transforms(kind: str, x: np.ndarray, y: np.ndarray, seed: int):
    """aeon's transforms and scalers, fitted in the order aeon's classifier of that
    name fits them. Returns the parts, Hydra's stored state (or None), the fitted
    transform that is rebuilt rather than stored (or None) and the training
    features."""
    from aeon.transformations.collection.convolution_based import (
        MiniRocket,
        MultiRocket,
    )
    from aeon.transformations.collection.shapelet_based import (
        RandomDilatedShapeletTransform,
    )
    from sklearn.preprocessing import StandardScaler

    if kind in ("minirocket", "rdst"):
        parts = {  # RDST: aeon's shapelets, mean-centred scaler
            "minirocket": MiniRocket(random_state=seed, n_jobs=1),
            "rdst": RandomDilatedShapeletTransform(random_state=seed, n_jobs=1),
        }
        parts = {kind: parts[kind], "scaler": StandardScaler(with_mean=kind == "rdst")}
        with _flat_stretches_expected():
            features = parts["scaler"].fit_transform(parts[kind].fit_transform(x, y))
        return parts, None, None, features
    if kind == "quant":
        transform = _quant_transform(*x.shape[1:])
        return {}, None, transform, transform.transform(x)
    hydra, transform, hydra_scaled = fit_hydra(x, seed)
    parts = {
        "multirocket": MultiRocket(random_state=seed, n_jobs=1),
        "scaler": StandardScaler(),
    }
    multi = parts["scaler"].fit_transform(parts["multirocket"].fit_transform(x))
    return parts, hydra, transform, np.concatenate((hydra_scaled, multi), axis=1)


def _fit_classifier(
    features, y, seed: int, log_prefix: str, quiet: bool = False, alphas=(-3, 3, 10)
):
    """aeon's ridge (``alphas``: its log-spaced grid), temperature-scaled on
    cross-validated scores (stratified, up to 5 folds); a class with one sequence
    leaves no such folds, so the temperature is then fitted on the training scores
    (sharper probabilities)."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.frozen import FrozenEstimator
    from sklearn.linear_model import RidgeClassifierCV
    from sklearn.model_selection import StratifiedKFold

    ridge = RidgeClassifierCV(alphas=np.logspace(*alphas))
    fewest = int(np.bincount(y)[np.unique(y)].min())
    if fewest >= 2:
        folds = StratifiedKFold(min(5, fewest), shuffle=True, random_state=seed)
        calibrated = CalibratedClassifierCV(
            ridge, method="temperature", cv=folds, ensemble=False
        )
    else:
        if not quiet:
            logger.warning(
                "%sa class has one training sequence: ROCKET probabilities calibrated "
                "on the training rows",
                log_prefix,
            )
        frozen = FrozenEstimator(ridge.fit(features, y))
        # one "fold" holding every row: the frozen ridge scores the training rows
        # (scikit-learn's k-fold would need k sequences of some class)
        every_row = np.arange(len(y))
        calibrated = CalibratedClassifierCV(
            frozen, method="temperature", cv=[(every_row, every_row)]
        )
    with warnings.catch_warnings():  # folds short of the rare class: expected here
        warnings.filterwarnings("ignore", "The least populated class", UserWarning)
        return calibrated.fit(features, y)


def fit_rocket(train: dict, config: TrainConfig, log_prefix: str = "") -> RocketFit:
    """Fit ``config.model.backbone`` (minirocket | multirocket_hydra | quant | rdst)
    on ``train`` with ``config.seed``, as aeon's classifier of that name does."""
    started = time.perf_counter()
    kind, y = config.model.backbone, train["y"]
    if len(np.unique(y)) < 2:
        raise UserInputError(
            f"{log_prefix}{kind} needs training sequences of at least 2 classes: "
            "give it more labelled sequences."
        )
    steps = max(int(train["x"].shape[1]), MIN_STEPS)
    x = channels_first(train["x"], steps)
    parts, hydra, transform, features = _fit_transforms(kind, x, y, config.seed)
    if kind == "quant":
        parts["classifier"] = _quant_forest(_quant_seed(config.seed)).fit(features, y)
    else:
        grid = (-4, 4, 20) if kind == "rdst" else (-3, 3, 10)
        parts["classifier"] = _fit_classifier(
            features, y, config.seed, log_prefix, alphas=grid
        )
    fitted = RocketFit(kind, parts, hydra, steps, len(train["class_names"]))
    fitted.rebuilt = transform
    probs = fitted.class_probabilities(features)
    loss = mean_log_loss(y, probs)
    seconds = round(time.perf_counter() - started, 3)
    fitted.history = [{"epoch": 1, "train_loss": loss, "seconds": seconds}]
    fitted.best_epoch = 1
    return fitted


def rocket_artifact(
    fitted: RocketFit, config: TrainConfig, preprocessing: dict[str, Any]
) -> dict[str, Any]:
    """A member file of plain values, tensors and one skops blob."""
    import skops.io

    blob = skops.io.dumps(fitted.parts)
    digest = hashlib.sha256(json.dumps(config.to_dict(), sort_keys=True).encode())
    digest.update(blob)
    if fitted.decision is not None:
        digest.update(json.dumps(fitted.decision, sort_keys=True).encode())
    if fitted.hydra is not None:
        digest.update(fitted.hydra["probe"].numpy().tobytes())
    return {
        "format": FORMAT,
        "model_id": digest.hexdigest()[:12],
        "kind": fitted.kind,
        "train_config": config.to_dict(),
        "steps": fitted.steps,
        "n_classes": fitted.n_classes,
        "parts": blob,
        "hydra": fitted.hydra,
        "preprocessing": preprocessing,
        "best_epoch": fitted.best_epoch,
        "best_val_macro_f1": None,
        "decision": fitted.decision,
        "history": fitted.history,
    }


def load_rocket(artifact: dict[str, Any]) -> RocketFit:
    """The member of a ROCKET artifact; types outside ``trusted_types()`` are refused."""
    import skops.io

    trusted = set(trusted_types())
    untrusted = set(skops.io.get_untrusted_types(data=artifact["parts"])) - trusted
    if untrusted:
        raise UserInputError(
            "The ROCKET member in the model file holds types this project does not "
            f"trust ({', '.join(sorted(untrusted))}): retrain it."
        )
    parts = skops.io.loads(artifact["parts"], trusted=sorted(trusted))
    return RocketFit(
        artifact["kind"],
        parts,
        artifact["hydra"],
        int(artifact["steps"]),
        int(artifact["n_classes"]),
        artifact["history"],
        best_epoch=1,
        decision=artifact["decision"],
    )

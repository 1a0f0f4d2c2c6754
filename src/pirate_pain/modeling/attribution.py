"""Which columns and which moments made the call: Captum's integrated gradients
for the PyTorch members, masked so padded steps get nothing, aggregated over the
members of an ensemble.

The attribution of a sequence is the integrated gradient of the predicted class's
log-probability with respect to the model input (scaled features), from a baseline
of zeros (the training mean of every scaled column) to the sequence itself. Each
member's map is normalised to unit total per sequence before members are averaged,
so no member dominates by the scale of its logits. ROCKET members have no
gradient and are left out (the summary says which members were used).
"""

from __future__ import annotations

import numpy as np
import torch

from .classifier import from_artifact
from .network import FitResult

N_STEPS = 32  # integral steps
BATCH = 64


def _network_maps(fitted: FitResult, data: dict, target: np.ndarray) -> np.ndarray:
    """(N, T, F) absolute integrated gradients of one network, zero on padded steps
    and normalised to sum 1 per sequence."""
    from captum.attr import IntegratedGradients  # only when asked: 1 s to import

    model = fitted.model.eval()

    def log_probability(x, lengths, static):
        return torch.log_softmax(model(x, lengths, static), dim=1)

    method = IntegratedGradients(log_probability)
    x = torch.as_tensor(data["x"], dtype=torch.float32)
    lengths = torch.as_tensor(np.asarray(data["lengths"]))
    static = torch.as_tensor(data["static"])
    maps = []
    with torch.backends.cudnn.flags(enabled=False):  # RNN gradients in eval mode
        for begin in range(0, len(x), BATCH):
            rows = slice(begin, begin + BATCH)
            found = method.attribute(
                x[rows],
                baselines=torch.zeros_like(x[rows]),
                target=torch.as_tensor(target[rows]),
                additional_forward_args=(lengths[rows], static[rows]),
                n_steps=N_STEPS,
            )
            maps.append(found.detach().abs().numpy())
    maps = np.concatenate(maps)
    steps = np.arange(maps.shape[1])[None, :] < np.asarray(data["lengths"])[:, None]
    maps *= steps[:, :, None]
    return maps / np.maximum(maps.sum(axis=(1, 2), keepdims=True), 1e-12)


def attributions(
    predictor: dict, data: dict, target: np.ndarray
) -> tuple[np.ndarray, list[str]]:
    """(N, T, F) attribution maps of ``target`` classes on a prepared model input,
    averaged over the network members, and the names of the members used.

    Raises:
        ValueError: no member of the predictor is a network.
    """
    members = predictor.get("members") or [predictor]
    names = predictor.get("member_names") or [predictor.get("model_id", "model")]
    columns = members[0]["preprocessing"]["kept_features"]
    total, used = None, []
    for name, artifact in zip(names, members):
        fitted = from_artifact(artifact)
        if not isinstance(fitted, FitResult):
            continue
        if artifact["preprocessing"]["kept_features"] != columns:
            continue  # another preprocessing: its maps would not line up
        maps = _network_maps(fitted, data, target)
        total = maps if total is None else total + maps
        used.append(str(name))
    if total is None:
        raise ValueError("no PyTorch member")
    return total / len(used), used


def column_importance(maps: np.ndarray) -> np.ndarray:
    """(N, F): each column's share of a sequence's attribution."""
    return maps.sum(axis=1)


def time_profile(maps: np.ndarray, lengths, bins: int) -> np.ndarray:
    """(N, bins): the attribution share of each tenth (``bins``) of every
    sequence's own length."""
    per_step = maps.sum(axis=2)
    profile = np.zeros((len(per_step), bins))
    for i, length in enumerate(np.asarray(lengths)):
        edges = np.linspace(0, int(length), bins + 1).round().astype(int)
        for b in range(bins):
            profile[i, b] = per_step[
                i, edges[b] : max(edges[b + 1], edges[b] + 1)
            ].sum()
    return profile


def _selected_maps(maps, labels, probs, look_at, ids, names, per_kind: int = 2):
    """Maps worth a picture: the first sequences flagged to look at, and the most
    confident sequence of each predicted class."""
    chosen: dict[int, str] = {}
    for i in np.flatnonzero(look_at)[:per_kind]:
        chosen[int(i)] = "flagged: its prediction set is not one class"
    for k, name in enumerate(names):
        rows = np.flatnonzero(labels == k)
        if len(rows):
            best = int(rows[probs[rows, k].argmax()])
            chosen.setdefault(best, f"most confident {name}")
    return {
        ids[i]: {"why": why, "label": names[labels[i]], "map": _rounded(maps[i].T)}
        for i, why in chosen.items()
    }


def _rounded(values: np.ndarray) -> list:
    return np.round(values, 5).tolist()


def explain(
    predictor: dict,
    sequences: dict,
    labels: np.ndarray,
    probs: np.ndarray,
    look_at: np.ndarray | None = None,
    bins: int = 10,
    top: int = 3,
) -> dict:
    """Attributions of a predictor's labels on a validated sequence set, summarised:
    per predicted class the mean share of each column and of each tenth of the
    sequence, per sequence its ``top`` columns and its peak step, and the maps of a
    few sequences.

    ``{"explained": false, "reason": ...}`` when no member is a network."""
    from .preprocessing import apply_feature_transform

    names = [str(c) for c in predictor_classes(predictor)]
    reference = next(iter(predictor.get("members") or [predictor]))
    data = apply_feature_transform(sequences, reference["preprocessing"])
    try:
        maps, used = attributions(predictor, data, labels)
    except ValueError:
        return {"explained": False, "reason": "no PyTorch member to take gradients of"}
    columns = [str(c) for c in data["feature_names"]]
    shares, profile = column_importance(maps), time_profile(maps, data["lengths"], bins)
    ids = [str(s) for s in sequences["sample_ids"]]
    look_at = np.zeros(len(ids), bool) if look_at is None else np.asarray(look_at)
    return {
        "explained": True,
        "members": used,
        "columns": columns,
        "time_bins": bins,
        "per_class": {
            name: {
                "sequences": int((labels == k).sum()),
                "columns": _rounded(shares[labels == k].mean(0))
                if (labels == k).any()
                else None,
                "time": _rounded(profile[labels == k].mean(0))
                if (labels == k).any()
                else None,
            }
            for k, name in enumerate(names)
        },
        "top_columns": {
            ids[i]: [columns[c] for c in np.argsort(-shares[i])[:top]]
            for i in range(len(ids))
        },
        # the step whose columns together carry the most attribution
        "peak_step": {ids[i]: int(m.sum(1).argmax()) for i, m in enumerate(maps)},
        "maps": _selected_maps(maps, labels, probs, look_at, ids, names),
    }


def predictor_classes(predictor: dict) -> list:
    members = predictor.get("members") or [predictor]
    return members[0]["preprocessing"]["class_names"]

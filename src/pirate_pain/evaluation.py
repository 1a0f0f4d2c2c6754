"""Classification metrics and plots shared by train, ensemble and benchmark."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.metrics import (  # noqa: E402
    accuracy_score,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
)


def classification_metrics(
    y_true: np.ndarray, y_pred: np.ndarray, class_names: list[str]
) -> dict:
    """Macro F1, accuracy, per-class precision / recall / F1 and the confusion matrix."""
    labels = list(range(len(class_names)))
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0
    )
    return {
        "macro_f1": float(
            f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)
        ),
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "per_class": {
            name: {
                "precision": float(precision[i]),
                "recall": float(recall[i]),
                "f1": float(f1[i]),
                "support": int(support[i]),
            }
            for i, name in enumerate(class_names)
        },
        "confusion_matrix": {
            "labels": list(class_names),
            "matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
        },
    }


def plot_confusion_matrix(metrics: dict, title: str = "Confusion matrix"):
    """A labelled confusion-matrix figure from a metrics dict."""
    names = metrics["confusion_matrix"]["labels"]
    matrix = np.asarray(metrics["confusion_matrix"]["matrix"])
    fig, ax = plt.subplots(figsize=(1.2 * len(names) + 2.5, 1.1 * len(names) + 2))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(names)), names, rotation=30, ha="right")
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for (i, j), count in np.ndenumerate(matrix):
        color = "white" if count > matrix.max() / 2 else "black"
        ax.text(j, i, str(count), ha="center", va="center", color=color)
    ax.set_title(f"{title} (macro F1 {metrics['macro_f1']:.3f})")
    fig.tight_layout()
    return fig


def plot_learning_curves(history: list[dict], title: str = "Learning curves"):
    """Training loss and validation macro F1 per epoch."""
    epochs = [h["epoch"] for h in history]
    fig, loss_ax = plt.subplots(figsize=(7, 4))
    loss_ax.plot(epochs, [h["train_loss"] for h in history], color="tab:blue")
    loss_ax.set_xlabel("epoch")
    loss_ax.set_ylabel("training loss", color="tab:blue")
    if any("val_macro_f1" in h for h in history):
        f1_ax = loss_ax.twinx()
        f1_ax.plot(
            epochs, [h.get("val_macro_f1", np.nan) for h in history], color="tab:orange"
        )
        f1_ax.set_ylabel("validation macro F1", color="tab:orange")
        f1_ax.set_ylim(0, 1)
    loss_ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_comparison(table):
    """One row per configuration: mean macro F1 and its corrected 95 % interval."""
    fig, ax = plt.subplots(figsize=(7, 0.6 * len(table) + 1.5))
    y = np.arange(len(table))
    means = table["macro_f1_mean"].to_numpy()
    ax.errorbar(
        means,
        y,
        xerr=[means - table["ci95_low"], table["ci95_high"] - means],
        fmt="o",
        capsize=4,
    )
    ax.set_yticks(y, table["configuration"])
    ax.invert_yaxis()
    ax.set_xlabel("macro F1 (repeated k-fold, Nadeau-Bengio 95 % interval)")
    fig.tight_layout()
    return fig


def plot_reliability(curves: dict[str, list[dict]], title: str = "Reliability"):
    """Top-label reliability diagram: accuracy against mean confidence per bin
    (``calibration.reliability_table`` rows), one line per curve, against the
    diagonal where a calibrated model lies."""
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", label="calibrated")
    for name, rows in curves.items():
        confidence = [r["confidence"] for r in rows]
        accuracy = [r["accuracy"] for r in rows]
        ax.plot(confidence, accuracy, marker="o", label=name)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("mean confidence (top class)")
    ax.set_ylabel("accuracy")
    ax.set_title(title)
    ax.legend(loc="upper left")
    fig.tight_layout()
    return fig


def plot_class_attributions(explained: dict):
    """Per predicted class: each column's mean share of the attribution (left) and
    each tenth of the sequence's (right)."""
    names = [n for n, v in explained["per_class"].items() if v["columns"] is not None]
    columns = explained["columns"]
    shares = np.array([explained["per_class"][n]["columns"] for n in names])
    fig, (left, right) = plt.subplots(
        1, 2, figsize=(11, 1.2 + 0.5 * len(names)), width_ratios=[3, 1]
    )
    left.imshow(shares, aspect="auto", cmap="viridis")
    left.set_xticks(range(len(columns)), columns, rotation=90, fontsize=7)
    left.set_yticks(range(len(names)), names)
    left.set_title("share of the attribution per column")
    for name in names:
        right.plot(explained["per_class"][name]["time"], marker="o", label=name)
    right.set_xlabel(f"tenth of the sequence (of {explained['time_bins']})")
    right.set_title("per moment")
    right.legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot_sequence_attribution(entry: dict, columns: list[str], title: str):
    """One sequence's attribution map: columns x time steps."""
    values = np.asarray(entry["map"])
    fig, ax = plt.subplots(figsize=(9, 0.16 * len(columns) + 1.2))
    ax.imshow(values, aspect="auto", cmap="magma", interpolation="nearest")
    ax.set_yticks(range(len(columns)), columns, fontsize=6)
    ax.set_xlabel("time step")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig

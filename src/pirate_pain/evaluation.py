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

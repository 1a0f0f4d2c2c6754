"""A self-contained HTML report: data, metrics, plots, ensemble, tuning, benchmark."""

from __future__ import annotations

import base64
import html
import io
from datetime import UTC, datetime

import matplotlib.pyplot as plt
import pandas as pd

from ...errors import UserInputError
from ...evaluation import (
    plot_class_attributions,
    plot_comparison,
    plot_confusion_matrix,
    plot_learning_curves,
    plot_reliability,
    plot_sequence_attribution,
)

STYLE = """body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;
padding:.25em .6em;text-align:left}th{background:#f3f3f3}td:first-child{text-align:left}
img{max-width:100%}h2{border-bottom:1px solid #ddd;padding-bottom:.2em}"""


def _image(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode()
    return f'<img alt="plot" src="data:image/png;base64,{data}">'


def _table(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, float_format=lambda v: f"{v:.4f}", border=0)


def _data_section(feature_report: dict) -> str:
    counts = pd.DataFrame(
        list(feature_report["class_counts"].items()),
        columns=["class", "training sequences"],
    )
    counts["share"] = counts["training sequences"] / counts["training sequences"].sum()
    dropped = pd.DataFrame(
        feature_report["dropped_features"]
        or [{"column": "-", "reason": "nothing dropped"}]
    )
    merged = (
        "".join(
            f"<li><b>{html.escape(m['name'])}</b> = any of {', '.join(m['merge_of'])} "
            f"differs from '{html.escape(m['normal_value'])}'</li>"
            for m in feature_report["merged_categorical"]
        )
        or "<li>none</li>"
    )
    groups = "".join(
        f"<li>{html.escape(g['group'])} ({g['scaler']}): {', '.join(g['columns'])}</li>"
        for g in feature_report["scaling_groups"]
    )
    return (
        f"<h2>Data</h2><h3>Class balance (training split)</h3>{_table(counts)}"
        f"<h3>Dropped features</h3>{_table(dropped)}"
        f"<h3>Merged categorical features</h3><ul>{merged}</ul>"
        f"<h3>Scaling groups</h3><ul>{groups}</ul>"
    )


def check_same_model(metrics: dict, history: list[dict]) -> None:
    """Refuse metrics and learning curves of two different models."""
    described = metrics.get("model_id")
    trained = history[0].get("model_id") if history else None
    if described != trained:
        raise UserInputError(
            f"validation_metrics describes model {described} but training_history "
            f"describes model {trained}: rerun the evaluation of the newest model "
            "(kedro run --pipeline=train --from-nodes=evaluate_model_node) or load "
            "matching versions with --load-versions."
        )


def _metrics_section(metrics: dict, history: list[dict]) -> str:
    per_class = pd.DataFrame(
        [{"class": name, **values} for name, values in metrics["per_class"].items()]
    )
    summary = pd.DataFrame(
        [
            {"metric": "macro F1", "value": f"{metrics['macro_f1']:.4f}"},
            {"metric": "accuracy", "value": f"{metrics['accuracy']:.4f}"},
            {"metric": "best epoch", "value": str(metrics.get("best_epoch"))},
        ]
    )
    parts = [
        f"<h2>Validation metrics of model {html.escape(str(metrics['model_id']))}"
        f"</h2>{_table(summary)}{_table(per_class)}"
    ]
    cv = metrics.get("cross_validation")
    if cv:
        parts.append(
            f"<h3>Cross validation: macro F1 {cv['macro_f1_mean']:.4f} ± "
            f"{cv['macro_f1_std']:.4f}</h3>{_table(pd.DataFrame(cv['folds']))}"
        )
    parts.append(f"<h2>Confusion matrix</h2>{_image(plot_confusion_matrix(metrics))}")
    parts.append(f"<h2>Learning curves</h2>{_image(plot_learning_curves(history))}")
    return "".join(parts)


def build_report(
    feature_report: dict,
    metrics: dict,
    history: list[dict],
    ensemble_comparison: pd.DataFrame | None,
    tuning_summary: dict | None,
    benchmark_table: pd.DataFrame | None,
    comparison_table: pd.DataFrame | None = None,
    selection_table: pd.DataFrame | None = None,
    ensemble_selection: dict | None = None,
    test_calibration: dict | None = None,
    test_attributions: dict | None = None,
) -> str:
    """The run report as one HTML page with the plots embedded.

    Args:
        feature_report: What the features pipeline dropped, merged and scaled.
        metrics: Validation metrics of the trained model.
        history: Its per-epoch history.
        ensemble_comparison: Members against the votes, or None if not run.
        tuning_summary: The tuning study's summary, or None if not run.
        benchmark_table: The benchmark comparison, or None if not run.
        comparison_table: The repeated k-fold comparison, or None if not run.
        selection_table: Test scores of the selected ensemble, or None.
        ensemble_selection: The members chosen out of fold, or None.
        test_calibration: Calibration and coverage on the labelled test split
            (the inference pipeline), or None.
        test_attributions: Which columns and moments made the test predictions
            (``inference.attributions``), or None.

    Returns:
        The HTML text.
    """
    check_same_model(metrics, history)
    parts = [_data_section(feature_report), _metrics_section(metrics, history)]
    if metrics.get("calibration") or (test_calibration or {}).get("scored"):
        parts.append(_calibration_section(metrics.get("calibration"), test_calibration))
    if (test_attributions or {}).get("explained"):
        parts.append(_attribution_section(test_attributions))
    if ensemble_comparison is not None:
        parts.append(
            f"<h2>Ensemble against its members</h2>{_table(ensemble_comparison)}"
        )
    if tuning_summary is not None:
        parts.append(_tuning_section(tuning_summary))
    if benchmark_table is not None:
        parts.append(f"<h2>Benchmark</h2>{_table(benchmark_table)}")
    if comparison_table is not None:
        parts.append(
            "<h2>Repeated k-fold comparison</h2>"
            f"{_table(comparison_table)}{_image(plot_comparison(comparison_table))}"
        )
    if ensemble_selection is not None:
        parts.append(_selection_section(ensemble_selection, selection_table))
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>Run report"
        f"</title><style>{STYLE}</style></head><body><h1>Run report</h1>"
        f"<p>Written {stamp}.</p>{''.join(parts)}</body></html>"
    )


def _tuning_section(summary: dict) -> str:
    best = pd.DataFrame(
        list(summary["best_params"].items()), columns=["parameter", "best value"]
    ).astype(str)
    return (
        f"<h2>Tuning</h2><p>Study <b>{html.escape(summary['study_name'])}</b>: "
        f"best trial {summary['best_trial']} with macro F1 "
        f"{summary['best_value']:.4f}; trial states "
        f"{html.escape(str(summary['trial_states']))}.</p>{_table(best)}"
    )


def _selection_section(selection: dict, table: pd.DataFrame | None) -> str:
    weights = ", ".join(  # greedy: picks; bagged: shares of the vote
        f"{n} x {k}" if isinstance(k, int) else f"{n} {k:.0%}"
        for n, k in selection["weights"].items()
    )
    return (
        "<h2>Ensemble chosen by cross-validation</h2>"
        f"<p>Members ({selection.get('rule', 'greedy')} rule): "
        f"{html.escape(weights)}; out-of-fold macro F1 "
        f"{selection['oof_macro_f1']:.4f} (best single "
        f"{html.escape(selection['best_single'])} "
        f"{selection['best_single_oof_macro_f1']:.4f}).</p>"
        + _anchor_check(selection.get("anchor"))
        + (_table(table) if table is not None else "")
    )


def _anchor_check(check: dict | None) -> str:
    """The anchored rule's comparison, in one sentence."""
    if not check or not check["checked"]:
        return ""
    verdict = "kept alone" if check["kept"] else "left to greedy's choice"
    return (
        f"<p>Anchor {html.escape(check['name'])}: {verdict} (greedy's choices on rows "
        f"they were not chosen on {check['greedy_nested_macro_f1']:.4f}, the anchor "
        f"{check['anchor_macro_f1']:.4f}).</p>"
    )


def _figures_table(rows: dict[str, dict]) -> str:
    """ECE, Brier score and log loss, one row per (split, before / after)."""
    return _table(pd.DataFrame([{"probabilities": k, **v} for k, v in rows.items()]))


def _calibration_section(validation: dict | None, test: dict | None) -> str:
    """Temperature, calibration figures, reliability diagram and set coverage."""
    parts = ['<h2 id="calibration">Calibration and prediction sets</h2>']
    if validation:
        check = validation["out_of_fold"]
        parts.append(
            f"<p>Temperature {validation['temperature']:.3f} and class offsets "
            f"{', '.join(f'{b:+.2f}' for b in validation['offsets'])}, fitted on the "
            f"{html.escape(validation.get('rows', 'held-out rows'))}; kept only where "
            "they lower the expected calibration "
            f"error out of fold (2-fold on those rows: {check['ece_before']:.4f} -> "
            f"{check['ece_after']:.4f}).</p>"
        )
        rows = {"held-out rows, before": validation["before"]}
        rows["held-out rows, after (in sample)"] = validation["after"]
        parts.append(_figures_table(rows))
    if test and test.get("scored"):
        rows = {"test, before": test["before"], "test, after": test["after"]}
        curves = {
            "before": test["reliability_before"],
            "after": test["reliability_after"],
        }
        parts.append(
            f"{_figures_table(rows)}"
            f"{_image(plot_reliability(curves, 'Reliability on the test split'))}"
        )
        if test["sets"]:  # None: inference.coverage was null (cross-conformal)
            parts.append(_sets_section(test["sets"], test["coverage"]))
    return "".join(parts)


def _sets_section(sets: dict, coverage: float) -> str:
    """Mean set size, share flagged and the coverage per class on the test split."""
    table = pd.DataFrame(
        [
            {"class": name, "coverage": value}
            for name, value in sets["per_class"].items()
        ]
    )
    return (
        f"<h3>Prediction sets at {coverage:.0%} coverage (test split)"
        f"</h3><p>Mean set size {sets['mean_set_size']:.2f}; "
        f"{sets['share_flagged']:.0%} of the sequences flagged to look at "
        "(a set that is not one class).</p>"
        f"{_table(table)}"
    )


def _attribution_section(explained: dict) -> str:
    """Per-class column and moment shares, and the maps of a few sequences."""
    parts = [
        '<h2 id="attributions">Which columns and moments made the call</h2>'
        "<p>Integrated gradients of the predicted class's log-probability (Captum), "
        "padded steps masked, averaged over the PyTorch members "
        f"({html.escape(', '.join(explained['members']))}) of model "
        f"{html.escape(str(explained.get('model_id')))}.</p>",
        _image(plot_class_attributions(explained)),
    ]
    for sample, entry in explained["maps"].items():
        title = f"sequence {sample}: {entry['label']} ({entry['why']})"
        parts.append(
            _image(plot_sequence_attribution(entry, explained["columns"], title))
        )
    return "".join(parts)

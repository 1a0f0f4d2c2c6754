"""Reporting outputs of every pipeline -> data/08_reporting/run_report.html."""

from kedro.pipeline import Node, Pipeline

from .nodes import build_report


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                build_report,
                inputs=[
                    "feature_report",
                    "validation_metrics",
                    "training_history",
                    "ensemble_comparison",  # None until its pipeline has run
                    "tuning_summary",
                    "benchmark_table",
                    "comparison_table",
                    "selection_table",
                    "ensemble_selection",
                    "test_calibration",  # None until inference has run
                    "test_attributions",
                ],
                outputs="run_report",
                name="build_report_node",
                tags=["reporting"],
            )
        ]
    )

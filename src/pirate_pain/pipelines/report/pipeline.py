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
                    "report_ensemble_comparison",
                    "report_tuning_summary",
                    "report_benchmark_table",
                ],
                outputs="run_report",
                name="build_report_node",
                tags=["reporting"],
            )
        ]
    )

"""Project pipelines."""

from kedro.pipeline import Pipeline

from pirate_pain.pipelines import features, ingestion, train


def register_pipelines() -> dict[str, Pipeline]:
    """Register the project's pipelines.

    ``__default__`` is ``train``: ingestion, features, training and evaluation.
    """
    pipelines = {
        "ingestion": ingestion.create_pipeline(),
        "features": features.create_pipeline(),
        "train": train.create_pipeline(),
    }
    pipelines["__default__"] = pipelines["train"]
    return pipelines

"""The catalog says what MLflow records of each dataset (``metadata.mlflow``)."""

from __future__ import annotations

import pytest
import yaml

from pirate_pain.catalog_tracking import TrackedOutput, tracked_outputs
from pirate_pain.errors import UserInputError
from tests.conftest import REPO


def test_the_shipped_catalog_tracks_the_outputs_a_run_records():
    with open(REPO / "conf/base/catalog.yml") as handle:
        tracked = tracked_outputs(yaml.safe_load(handle))
    models = {n for n, spec in tracked.items() if spec.log == "model"}
    assert models == {"trained_model", "ensemble_model", "selected_ensemble_model"}
    assert tracked["training_history"] == TrackedOutput(
        artifact_path="reports", log="history"
    )
    assert tracked["confusion_matrix_plot"].artifact_path == "plots"
    assert tracked["submission"].artifact_path == "predictions"
    assert tracked["test_calibration"] == TrackedOutput(
        artifact_path="reports", log="calibration_scores"
    )
    assert tracked["test_attributions"].artifact_path == "reports"
    assert "train_split" not in tracked and len(tracked) == 23


@pytest.mark.parametrize(
    "spec, words",
    [
        ({"log": "curves"}, "metadata.mlflow.log 'curves'"),
        ({"artefact_path": "plots"}, "metadata.mlflow.artefact_path 'plots'"),
    ],
)
def test_a_bad_tracking_entry_is_one_sentence_naming_the_dataset(spec, words):
    catalog = {"my_plot": {"type": "x", "metadata": {"mlflow": spec}}}
    with pytest.raises(UserInputError) as info:
        tracked_outputs(catalog)
    message = str(info.value)
    assert message.startswith("The catalog entry my_plot has ") and words in message
    assert "\n" not in message


def test_a_run_the_user_started_is_logged_into_and_left_open(project):
    import mlflow

    from tests.conftest import run_pipeline

    mlflow.set_tracking_uri(f"sqlite:///{project}/data/user.db")
    notebook = mlflow.set_experiment("notebook")  # not an earlier test's experiment
    mine = mlflow.start_run(run_name="my notebook run").info.run_id
    try:
        run_pipeline(project, "ingestion")
        active = mlflow.active_run()
        assert active is not None and active.info.run_id == mine  # still theirs
        params = mlflow.get_run(mine).data.params
        assert params["ingestion.id_column"] == "sample_index"  # flattened there
        assert mlflow.get_run(mine).info.experiment_id == notebook.experiment_id
        mlflow.end_run()  # one call ends it, as if no session had run
        assert mlflow.active_run() is None
    finally:
        while mlflow.active_run():
            mlflow.end_run()

"""``ParallelRunner`` workers run with this project's settings. Kedro reads the
project's package name inside the worker, where it was never set, so a worker
keeps Kedro's default settings (docs/upstream.md); ``pirate_pain/__init__.py``
configures the project's settings there, so kedro-mlflow's own hook stays off in
workers too; the ensemble and rerun tests run whole pipelines that way."""

from __future__ import annotations

import pirate_pain  # noqa: F401 - as every node function's module does, in the worker
from tests.tracking.worker_probe import settings_seen_by_a_worker


def project_settings_seen_by_a_worker(anything) -> dict:
    """The same node, in a module that imports the project (as every node's does)."""
    return settings_seen_by_a_worker(anything)


def _seen_in_a_worker(function, tmp_path) -> dict:
    from kedro.io import MemoryDataset, SharedMemoryDataCatalog
    from kedro.pipeline import Pipeline, node
    from kedro.runner import ParallelRunner
    from kedro_datasets.json import JSONDataset

    seen = JSONDataset(filepath=str(tmp_path / f"{function.__name__}.json"))
    catalog = SharedMemoryDataCatalog({"anything": MemoryDataset(1), "seen": seen})
    pipeline = Pipeline([node(function, "anything", "seen", name="seen_node")])
    ParallelRunner(max_workers=1).run(pipeline, catalog)
    return seen.load()


def test_parallel_workers_load_the_project_settings(monkeypatch, tmp_path):
    from kedro.framework.project import configure_project

    configure_project("pirate_pain")
    monkeypatch.setenv("KEDRO_MP_CONTEXT", "spawn")  # as the project's settings do
    # the upstream gap: nothing but the project's own import configures a worker;
    # when this fails, Kedro passes the package on and the workaround can go
    alone = _seen_in_a_worker(settings_seen_by_a_worker, tmp_path)
    assert alone == {"package": None, "disabled_plugins": [], "hooks": []}
    # the workaround: a worker that imports the project has its settings
    project = _seen_in_a_worker(project_settings_seen_by_a_worker, tmp_path)
    assert project["package"] is None  # Kedro's worker bootstrap stays off
    assert "kedro-mlflow" in project["disabled_plugins"]
    assert {"ConfigurationHook", "FingerprintHook"} <= set(project["hooks"])

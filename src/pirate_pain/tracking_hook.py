"""kedro-mlflow's hook, made failure-safe, parallel-aware and complete for this project.

kedro-mlflow opens and closes the run and reads ``conf/*/mlflow.yml``. On top:

- every parameter the run's nodes read is logged before the first node (flattened,
  dotted keys), so a ``ParallelRunner`` run logs them too;
- the run is named ``<pipeline> <env> <short id>``; tags name the data source, the
  SHA-256 of the raw files read and the git commit;
- what the catalog marks with ``metadata.mlflow`` is logged as it is saved
  (``after_dataset_saved``): the file under ``artifact_path``, and with ``log:``
  per-epoch curves as metric histories, validation or comparison scores as metrics,
  the trained model or ensemble as an MLflow model (``serving.py``); outputs saved
  in ``ParallelRunner`` workers (no hooks there) are logged after the run;
- a tracking error is one warning and the run goes on.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from kedro.framework.hooks import hook_impl
from kedro_mlflow.framework.hooks import MlflowHook

from . import tracking
from .catalog_tracking import tracked_outputs
from .dataset_files import dataset_file
from .dead_runs import OWNER_TAG, current_owner, mark_dead_runs_killed

_EXPORTED = (tracking.RUN_ENV, tracking.URI_ENV)


class TrackingHook(MlflowHook):
    """One MLflow run per ``kedro run`` (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__()
        self._catalog, self._logged, self._tracked = None, set(), {}
        self._user_run: str | None = None  # an MLflow run active before the session
        self._project = Path.cwd()

    def _guard(self, what: str, call, *args) -> None:
        try:
            call(*args)
        except Exception as exc:  # tracking never fails a run
            tracking.warn_once(what, exc)

    @hook_impl
    def after_context_created(self, context) -> None:
        from filelock import FileLock

        self._project = Path(context.project_path)
        self._config = context.config_loader  # this run's, as Kedro resolved it
        # two runs started together would both create the SQLite store's tables
        # and the experiment: one at a time (per project, on this machine)
        key = hashlib.sha256(str(self._project.resolve()).encode()).hexdigest()[:16]
        lock = Path(tempfile.gettempdir()) / f"pirate_pain_mlflow_{key}.lock"
        # mlflow.set_tracking_uri also exports MLFLOW_TRACKING_URI: keep the user's
        self._user_store = os.environ.get("MLFLOW_TRACKING_URI")
        # a run the user started before the session is theirs to end
        self._user_run = _active_run_id()
        with FileLock(lock, timeout=120):
            self._guard("set-up", super().after_context_created, context)

    @hook_impl
    def after_catalog_created(
        self, catalog, conf_catalog, conf_creds, parameters, save_version, load_versions
    ) -> None:
        self._tracked = tracked_outputs(conf_catalog)  # a bad entry: one sentence
        self._guard(
            "catalog",
            super().after_catalog_created,
            catalog,
            conf_catalog,
            conf_creds,
            parameters,
            save_version,
            load_versions,
        )

    @hook_impl
    def before_pipeline_run(self, run_params, pipeline, catalog) -> None:
        for key in _EXPORTED:  # nothing left by an earlier run of this process
            os.environ.pop(key, None)
        self._catalog, self._logged, self._pid = catalog, set(), os.getpid()
        self._guard("start", super().before_pipeline_run, run_params, pipeline, catalog)
        self._guard("describe", self._describe_run, run_params, pipeline, catalog)

    def _in_worker(self) -> bool:
        """A ``ParallelRunner`` worker: it logs by run id (tracking.py), never
        through MLflow's active run, which there would be a new, unnamed run."""
        return getattr(self, "_pid", None) != os.getpid()

    @hook_impl
    def before_node_run(self, node, catalog, inputs, is_async) -> None:
        if self._in_worker():
            return
        # parameters were logged before the first node (_log_parameters): the
        # plugin only reopens the run here
        self._guard("node", super().before_node_run, node, catalog, {}, is_async)

    @hook_impl
    def after_dataset_saved(self, dataset_name: str, data: Any, node) -> None:
        if not self._in_worker():
            self._guard(dataset_name, self._log_dataset, dataset_name, data)

    @hook_impl
    def after_pipeline_run(self, run_params, pipeline, catalog) -> None:
        for name in sorted(pipeline.all_outputs() - self._logged):
            if name in self._tracked:  # saved in a ParallelRunner worker
                self._guard(name, self._log_dataset, name, None)
        self._guard("raw files", self._tag_raw_files, pipeline)
        self._guard("end", super().after_pipeline_run, run_params, pipeline, catalog)
        self._guard("end", self._end_reopened_run)
        self._restore_env()

    @hook_impl
    def on_pipeline_error(self, error, run_params, pipeline, catalog) -> None:
        self._guard(
            "end", super().on_pipeline_error, error, run_params, pipeline, catalog
        )
        self._guard("end", self._end_reopened_run)
        self._restore_env()

    def _end_reopened_run(self) -> None:
        """kedro-mlflow reopens the run before every node and closes it once: close
        what is left, so a later session in this process starts its own run; a run
        the user started before the session stays open for them (one ``end_run``
        ends it)."""
        import mlflow

        if self.run_id is None:
            return
        while (active := mlflow.active_run()) and active.info.run_id == self.run_id:
            mlflow.end_run()
        if self._user_run is not None:  # theirs: left open, once, as it was
            mlflow.start_run(run_id=self._user_run)

    def _restore_env(self) -> None:
        """No variable exported for this run's workers outlives the run, and
        ``MLFLOW_TRACKING_URI`` is what it was before (later runs in this process,
        and processes it starts, choose their own store)."""
        for key in _EXPORTED:
            os.environ.pop(key, None)
        user_store = getattr(self, "_user_store", None)
        if user_store is None:
            os.environ.pop("MLFLOW_TRACKING_URI", None)
        else:
            os.environ["MLFLOW_TRACKING_URI"] = user_store

    # -- what a run records -----------------------------------------------------------

    def _describe_run(self, run_params, pipeline, catalog) -> None:
        import mlflow

        run = tracking.current_run()
        if run is None:  # tracking is off for this pipeline
            return
        # ParallelRunner workers and nested runs find the run and the store here
        os.environ[tracking.RUN_ENV] = run.run_id
        os.environ[tracking.URI_ENV] = mlflow.get_tracking_uri()
        names = run_params.get("pipeline_names") or ["__default__"]
        env = run_params.get("env") or "local"
        tags = {
            "mlflow.runName": f"{'+'.join(names)} {env} {run.run_id[:8]}",
            OWNER_TAG: current_owner(),  # a run whose process died: KILLED later
        }
        tags |= {k: v for k, v in self._data_source().items() if v is not None}
        commit = _git_commit(self._project)
        if commit:
            tags["mlflow.source.git.commit"] = commit
        run.tags(tags)
        mark_dead_runs_killed(run.client)
        self._log_parameters(pipeline, catalog)

    def _log_parameters(self, pipeline, catalog) -> None:
        """Every parameter the run's nodes read, once, before the first node:
        kedro-mlflow's own node hook logs them (flattened and long values handled
        as ``mlflow.yml`` says), so nodes run in ``ParallelRunner`` workers, where
        no hook runs, have theirs logged too. Typed blocks (Kedro's validated
        pydantic models) are handed over as the dicts the plugin flattens."""
        inputs = {
            name: _as_dict(catalog.load(name))
            for name in sorted(pipeline.inputs())
            if name.startswith("params:")
        }
        first = next(iter(pipeline.nodes), None)
        super().before_node_run(first, catalog, inputs, False)

    def _data_source(self) -> dict[str, Any]:
        config = self._config["globals"]
        return {
            "data_source": config.get("data_source"),
            "public_dataset": config.get("public_dataset"),
            "raw_dir": config.get("raw_dir"),
        }

    def _tag_raw_files(self, pipeline) -> None:
        run = tracking.current_run()
        if run is None or self._catalog is None:
            return
        digest, files = hashlib.sha256(), 0
        for name in sorted(n for n in pipeline.inputs() if n.startswith("raw_")):
            path = _file_of(self._catalog, name)
            if path is not None and path.is_file():
                digest.update(path.read_bytes())
                files += 1
        if files:
            run.tags({"raw_files_sha256": digest.hexdigest()})

    def _log_dataset(self, name: str, data: Any) -> None:
        self._logged.add(name)
        spec = self._tracked.get(name)
        run = tracking.current_run() if spec and self._catalog is not None else None
        if run is None:
            return
        path = _file_of(self._catalog, name)
        if spec.log == "model":
            self._log_model(path, data)
            return
        if spec.log is not None:
            if data is None:  # saved by a ParallelRunner worker
                data = self._catalog.load(name)
            _LOGGERS[spec.log](run, data)
        if spec.artifact_path and path is not None and path.is_file():
            run.artifact(str(path), spec.artifact_path)

    def _log_model(self, predictor_path: Path | None, predictor: dict | None) -> None:
        """The model (or ensemble) with its preprocessing, as one MLflow model, tagged
        with the ``model_id`` of the file this run saved."""
        import mlflow
        import torch

        from .modeling.artifacts import model_id

        if predictor_path is None or not predictor_path.is_file():
            return
        if predictor is None:  # saved by a ParallelRunner worker
            predictor = torch.load(
                predictor_path, map_location="cpu", weights_only=True
            )
        parameters = self._config["parameters"]  # the run's resolved blocks
        settings = {k: parameters[k] for k in ("ingestion", "inference")}
        with tempfile.TemporaryDirectory() as folder:
            settings_path = Path(folder) / "settings.json"
            settings_path.write_text(json.dumps(settings, indent=2))
            info = mlflow.pyfunc.log_model(
                name="model",
                python_model=str(Path(__file__).with_name("serving.py")),
                artifacts={
                    "predictor": str(predictor_path),
                    "settings": str(settings_path),
                },
                pip_requirements=_requirements(),
                signature=_serving_signature(),
            )
        mlflow.set_tags({"model_uri": info.model_uri, "model_id": model_id(predictor)})


def _serving_signature():
    """No input schema (the raw long frame varies with the data); one request
    parameter: ``attributions`` (top columns per sequence, off by default)."""
    from mlflow.models.signature import ModelSignature
    from mlflow.types.schema import ParamSchema, ParamSpec

    spec = ParamSpec("attributions", "boolean", False)
    return ModelSignature(inputs=None, outputs=None, params=ParamSchema([spec]))


def _active_run_id() -> str | None:
    import mlflow

    run = mlflow.active_run()
    return run.info.run_id if run else None


def _as_dict(value: Any) -> Any:
    return value.model_dump(mode="json") if hasattr(value, "model_dump") else value


def _comparison_scores(table) -> dict[str, float]:
    return {
        f"cv_macro_f1_{r.configuration}": r.macro_f1_mean for r in table.itertuples()
    }


def _validation_scores(metrics: dict) -> dict[str, float]:
    scores = {
        "validation_macro_f1": metrics.get("macro_f1"),
        "validation_accuracy": metrics.get("accuracy"),
    }
    for name, values in (metrics.get("per_class") or {}).items():
        scores[f"validation_f1_{name}"] = values.get("f1")
    calibration = metrics.get("calibration") or {}
    for when in ("before", "after"):
        for figure, value in (calibration.get(when) or {}).items():
            scores[f"validation_{figure}_{when}_calibration"] = value
    return scores


def _calibration_scores(figures: dict) -> dict[str, float]:
    """Test-split calibration and coverage figures (``score_test_calibration``)."""
    if not figures or not figures.get("scored"):
        return {}
    scores = {"temperature": figures["temperature"]}
    for when in ("before", "after"):
        for figure, value in figures[when].items():
            scores[f"test_{figure}_{when}_calibration"] = value
    sets = figures["sets"]
    if sets:  # None: no sets were made
        for name, value in sets["per_class"].items():
            if value is not None:
                scores[f"test_coverage_{name}"] = value
        scores["test_mean_set_size"] = sets["mean_set_size"]
    return scores


_LOGGERS = {  # metadata.mlflow.log -> how the saved data reaches the run
    "history": lambda run, data: run.history(data),
    "validation_scores": lambda run, data: run.metrics(_validation_scores(data)),
    "comparison_scores": lambda run, data: run.metrics(_comparison_scores(data)),
    "calibration_scores": lambda run, data: run.metrics(_calibration_scores(data)),
}


def _file_of(catalog, name: str) -> Path | None:
    """The file this run saved (versioned) or reads for ``name``."""
    saved = dataset_file(catalog, name, saved=True)
    if saved is not None and saved.exists():
        return saved
    return dataset_file(catalog, name)


def _git_commit(project: Path) -> str | None:
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() or None if result.returncode == 0 else None


def _requirements() -> list[str]:
    from importlib.metadata import version

    names = ("torch", "numpy", "pandas", "scikit-learn", "scipy", "pydantic", "mlflow")
    return [f"{n}=={version(n).split('+')[0]}" for n in names]

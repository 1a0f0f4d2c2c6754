"""Project hooks: check the configuration before any node runs, say which data a run
uses, record node fingerprints."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from kedro.config import MissingConfigException
from kedro.framework.hooks import hook_impl

from . import fingerprints, masking
from .configuration import run_parameters
from .datasets.local_files import remove_stale_writes
from .errors import UserInputError
from .fanout import RUN_CLUSTER
from .parameters import (
    check_data_source,
    check_devices,
    check_overrides,
)
from .raw_data import write_raw_data

logger = logging.getLogger(__name__)

DATA_SOURCES = ("synthetic", "challenge", "public")


class ConfigurationHook:
    """Check the run's resolved configuration before anything runs, and say which raw
    data the run reads.

    Runs first among ``after_context_created`` hooks: every ``--params`` key must
    exist, every parameter block and ``globals.yml`` must pass its typed model.
    Before a pipeline that reads raw data, synthetic data and public benchmarks are
    written into ``raw_dir`` when they are not there yet (``raw_data.py``).
    """

    @hook_impl(tryfirst=True)
    def after_context_created(self, context) -> None:
        masking.install()  # credentials never reach the console or a log file
        loader = context.config_loader
        _check_environment(loader)
        params = _read(loader, "parameters")
        check_overrides(
            loader.runtime_params or {}, _read(_files_only(loader), "parameters")
        )
        check_devices(run_parameters())  # one pass: the registry reuses it
        self._params = params
        self._source = check_data_source(_read(loader, "globals"))
        self._raw_dir = Path(context.project_path) / self._source.raw_dir
        self._data = Path(context.project_path) / "data"

    # first: a route the data cannot support stops before a tracking run starts
    @hook_impl(tryfirst=True)
    def before_pipeline_run(self, run_params: dict, pipeline, catalog) -> None:
        if self._data.is_dir():  # what a killed run left half-written goes first
            for path in remove_stale_writes(self._data):
                logger.info("Removed %s, left by a run that was killed.", path)
        if not any(name.startswith("raw_") for name in pipeline.inputs()):
            return
        source = self._source
        if write_raw_data(source, self._raw_dir):  # the run's first step, logged
            logger.warning(
                "Data: wrote the %s raw files into %s.",
                source.data_source,
                self._raw_dir,
            )
        if source.data_source == "synthetic":
            logger.warning(
                "Data: SYNTHETIC challenge-format data in %s (see SYNTHETIC_DATA.md "
                "there). Use --env=challenge for the real files.",
                self._raw_dir,
            )
        elif source.data_source == "public":
            logger.warning(
                "Data: public benchmark %s (official split) in %s.",
                source.public_dataset,
                self._raw_dir,
            )
        else:
            logger.warning("Data: real challenge files in %s.", self._raw_dir)
        if "raw_train_labels" in pipeline.inputs():
            check_class_counts(pipeline, catalog.load("raw_train_labels"), self._params)


def sequences_needed(pipeline, params: dict[str, Any]) -> list[tuple[int, str]]:
    """(labelled sequences every class needs, the parameter that sets it) for each
    split the pipeline makes."""
    needs = []
    for node in pipeline.nodes:
        short = node.name.rsplit(".", 1)[-1]
        if short == "split_train_validation_node":
            needs.append((2, "features.validation_fraction"))
        elif short == "cross_validate_candidates_node":
            block = next(i[7:] for i in node.inputs if i[7:] in ("compare", "select"))
            needs.append((int(params[block]["folds"]), f"{block}.folds"))
        elif short == "cross_validate_node":
            folds = params["train"]["cross_validation"]["folds"]
            needs.append((int(folds), "train.cross_validation.folds"))
        elif short == "run_study_node" and params["tune"].get("objective_folds", 0):
            needs.append(
                (int(params["tune"]["objective_folds"]), "tune.objective_folds")
            )
    return needs


def check_class_counts(pipeline, labels, params: dict[str, Any]) -> None:
    """Stop before the first node when a class has fewer labelled sequences than a
    split of this pipeline needs (a missing class is the labels node's to report)."""
    needs = sequences_needed(pipeline, params)
    ingestion = params["ingestion"]
    if not needs or ingestion["label_column"] not in getattr(labels, "columns", []):
        return
    counts = labels[ingestion["label_column"]].astype(str).value_counts()
    needed, parameter = max(needs)
    for name in map(str, ingestion["classes"]):
        count = int(counts.get(name, 0))
        if 0 < count < needed:
            raise UserInputError(
                f"Class '{name}' has {count} labelled sequence(s), fewer than the "
                f"{needed} that {parameter} needs: lower {parameter} or add "
                f"sequences of '{name}'."
            )


def _check_environment(loader) -> None:
    """The run's environment is a folder of the configuration."""
    env = loader.env or loader.default_run_env
    conf = Path(str(loader.conf_source))
    if conf.is_dir() and not (conf / env).is_dir() and env != "local":
        known = sorted(
            p.name for p in conf.iterdir() if p.is_dir() and p.name != "base"
        )
        raise UserInputError(
            f"There is no environment '{env}' ({conf / env} does not exist): use one "
            f"of {', '.join(known)}, or create that folder."
        )


def _files_only(loader):
    """A loader of the same folders and environment without ``--params`` (a new one:
    a copy would share the original's resolved-parameter cache)."""
    from kedro.framework.project import settings

    return settings.CONFIG_LOADER_CLASS(
        conf_source=loader.conf_source, env=loader.env, **settings.CONFIG_LOADER_ARGS
    )


def _read(loader, key: str) -> dict[str, Any]:
    """A configuration key, with YAML errors as one sentence naming the file."""
    try:
        return loader[key]
    except MissingConfigException:
        return {}
    except Exception as exc:  # noqa: BLE001 - yaml / omegaconf parse errors
        raise UserInputError(
            f"The {key} configuration cannot be read ({_first_line(exc)}): fix the "
            "YAML file named there."
        ) from exc


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


class FingerprintHook:
    """Record each successful node's fingerprint (see ``fingerprints``).

    ``ParallelRunner`` runs no node hooks in its workers, so after a successful run
    every node of the pipeline is recorded from the main process as well.
    """

    _root: Path | None = None

    @hook_impl
    def after_context_created(self, context) -> None:
        self._root = Path(context.project_path)
        self._params = _read(context.config_loader, "parameters")
        self._recorded: set[str] = set()

    @hook_impl
    def after_node_run(self, node, catalog, inputs, outputs, is_async, run_id) -> None:
        if self._root is not None:  # None in a ParallelRunner worker
            self._record(node, catalog)

    @hook_impl
    def after_pipeline_run(self, run_params, run_result, pipeline, catalog) -> None:
        if self._root is not None:
            for node in pipeline.nodes:
                if node.name not in self._recorded:
                    self._record(node, catalog)

    def _record(self, node, catalog) -> None:
        parts = fingerprints.fingerprint(node, catalog, self._params)
        fingerprints.record(self._root, node.name, parts)
        self._recorded.add(node.name)


class FanoutHook:
    """One local Dask cluster per run (``fanout.RUN_CLUSTER``): the first node that
    fans out starts it, the next ones reuse its workers, and it stops when the run
    ends or fails. Without a local cluster (``workers: 1``, a scheduler address)
    nothing changes."""

    @hook_impl
    def before_pipeline_run(self, run_params, pipeline, catalog) -> None:
        RUN_CLUSTER.start()

    @hook_impl
    def after_pipeline_run(self, run_params, run_result, pipeline, catalog) -> None:
        RUN_CLUSTER.stop()

    @hook_impl
    def on_pipeline_error(self, error, run_params, pipeline, catalog) -> None:
        RUN_CLUSTER.stop()

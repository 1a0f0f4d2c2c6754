"""Project hooks: say which data a run uses (and make it when synthetic or public),
and check parameters before any node runs."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from kedro.framework.hooks import hook_impl

from . import fingerprints
from .errors import UserInputError
from .modeling.config import TrainConfig

logger = logging.getLogger(__name__)

DATA_SOURCES = ("synthetic", "challenge", "public")


class DataSourceHook:
    """Reads ``data_source`` / ``raw_dir`` from ``globals.yml``.

    ``synthetic``: writes the labelled synthetic data set into ``raw_dir`` unless it
    is there. ``public``: converts a bundled UEA/UCR benchmark into ``raw_dir``.
    ``challenge``: uses the real files in ``raw_dir`` and never falls back.
    """

    def __init__(self) -> None:
        self._globals: dict[str, Any] = {}
        self._project_path = Path.cwd()

    @hook_impl
    def after_context_created(self, context) -> None:
        self._project_path = Path(context.project_path)
        try:
            self._globals = dict(context.config_loader["globals"])
        except Exception:  # noqa: BLE001 - no globals file: defaults below
            self._globals = {}

    @hook_impl
    def before_pipeline_run(self, run_params: dict, pipeline, catalog) -> None:
        source = self._globals.get("data_source", "synthetic")
        raw_dir = self._project_path / self._globals.get(
            "raw_dir", "data/01_raw/synthetic"
        )
        if source not in DATA_SOURCES:
            raise UserInputError(
                f"globals.yml data_source is '{source}': choose one of "
                f"{', '.join(DATA_SOURCES)}."
            )
        if not any(name.startswith("raw_") for name in pipeline.inputs()):
            return
        if source == "synthetic":
            from .synthetic import SyntheticSpec, ensure_synthetic_dataset

            spec = SyntheticSpec(**self._globals.get("synthetic", {}))
            made = ensure_synthetic_dataset(raw_dir, spec)
            logger.warning(
                "Data: SYNTHETIC challenge-format data in %s (%s; see SYNTHETIC_DATA.md "
                "there). Use --env=challenge for the real files.",
                raw_dir,
                "generated now" if made else "generated earlier",
            )
        elif source == "public":
            from .public_data import ensure_public_dataset

            name = self._globals.get("public_dataset")
            ensure_public_dataset(name, raw_dir)
            logger.warning(
                "Data: public benchmark %s (official split) in %s.", name, raw_dir
            )
        else:
            logger.warning("Data: real challenge files in %s.", raw_dir)


class ParameterCheckHook:
    """Validate training parameters when the run starts, before anything is written."""

    @hook_impl
    def after_context_created(self, context) -> None:
        self._params = context.params

    @hook_impl
    def before_pipeline_run(self, run_params: dict, pipeline, catalog) -> None:
        used = {name for node in pipeline.nodes for name in node.inputs}
        if "params:train" in used or any(n.endswith("params:train") for n in used):
            TrainConfig.from_params(self._params.get("train", {}))
        known = _flat(self._params)
        for name in used:
            if name.startswith("params:") and name.removeprefix("params:") not in known:
                raise UserInputError(
                    f"Parameter '{name.removeprefix('params:')}' is missing: add it to "
                    "conf/base/parameters_*.yml."
                )


def _flat(params: dict[str, Any], prefix: str = "") -> set[str]:
    keys = set()
    for key, value in params.items():
        full = f"{prefix}{key}"
        keys.add(full)
        if isinstance(value, dict):
            keys |= _flat(value, f"{full}.")
    return keys


class FingerprintHook:
    """Record each successful node's fingerprint (see ``fingerprints``)."""

    @hook_impl
    def after_context_created(self, context) -> None:
        self._root = Path(context.project_path)
        self._params = context.params

    @hook_impl
    def after_node_run(self, node, catalog, inputs, outputs, is_async, run_id) -> None:
        parts = fingerprints.fingerprint(node, catalog, self._params)
        fingerprints.record(self._root, node.name, parts)

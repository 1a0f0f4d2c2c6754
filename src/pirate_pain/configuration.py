"""The run's configuration, as Kedro resolves it, for the pipeline registry.

Kedro calls ``register_pipelines()`` without arguments (kedro-org/kedro#3093,
``docs/upstream.md``), yet the ensemble's members and the inference predictor are
parameters. Every Kedro command that creates a context (``kedro run``, ``kedro
rerun``, ``kedro viz run`` / ``build``, a notebook session) builds its context,
``settings.CONTEXT_CLASS``, with the config loader of ``--env`` / ``KEDRO_ENV``,
``--params`` and ``--conf-source``. ``ProjectContext`` hands it to
``use_for_pipelines``, the one place that records it, and Kedro registers the
pipelines anew. (A hook would be later and is skipped by kedro-viz, which runs no
project hooks unless ``--include-hooks``.) Commands that create no context
(``kedro registry``) resolve ``KEDRO_ENV`` with the same settings.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

from kedro.config import OmegaConfigLoader
from kedro.framework.context import KedroContext

_run_loader: OmegaConfigLoader | None = None  # the workaround's one piece of state,
_run_parameters: dict[str, Any] | None = None  # and its checked blocks, once checked


class ProjectContext(KedroContext):
    """Kedro's context; the registry shapes the pipelines by its configuration."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        use_for_pipelines(self.config_loader)


class ProjectConfigLoader(OmegaConfigLoader):
    """Kedro's ``OmegaConfigLoader``, with credentials from every environment.

    Credentials follow every environment: ``conf/local/credentials.yml`` (git-ignored,
    where secrets live) is read under the run's environment too, so ``--env=challenge``
    finds the same shared tuning database as a run without ``--env``.

    A key is read from the files once per loader (a run reads ``parameters`` six
    times: Kedro's context, the hooks, the registry); each caller gets its own copy.
    A new session (``kedro run``, ``%reload_kedro``) has a new loader.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._read_once: dict[str, dict[str, Any]] = {}  # Kedro's __init__ reads too
        super().__init__(*args, **kwargs)

    def __getitem__(self, key: str) -> dict[str, Any]:
        if key in self:  # set on the loader (``loader[key] = ...``): as Kedro does
            return self._read_key(key)
        if key not in self._read_once:
            self._read_once[key] = self._read_key(key)
        return copy.deepcopy(self._read_once[key])

    def _read_key(self, key: str) -> dict[str, Any]:
        config = super().__getitem__(key)
        run_env = self.env or self.default_run_env
        if key != "credentials" or run_env in (self.base_env, "local"):
            return config
        folders = (self.base_env, "local", run_env)  # base < local < the run's
        return {k: v for f in folders for k, v in self._credentials_in(f).items()}

    def _credentials_in(self, environment: str) -> dict[str, Any]:
        """The credentials files of one environment folder (none: empty)."""
        folder = Path(self.conf_source) / environment
        if not folder.is_dir():
            return {}
        return self.load_and_merge_dir_config(
            str(folder),
            self.config_patterns["credentials"],
            "credentials",
            processed_files=set(),
            read_environment_variables=True,
        )


def use_for_pipelines(loader: OmegaConfigLoader | None) -> None:
    """Shape the registered pipelines by ``loader`` (a new context's; ``None``: the
    files of ``KEDRO_ENV``)."""
    global _run_loader, _run_parameters
    from kedro.framework.project import pipelines

    _run_loader, _run_parameters = loader, None
    pipelines.configure("pirate_pain.pipeline_registry")  # registered anew


def forget_run() -> None:
    """No context any more: the registry reads ``KEDRO_ENV``'s files again (a new
    project in the same process, after a session whose configuration was refused)."""
    use_for_pipelines(None)


def run_parameters() -> dict[str, Any]:
    """The latest context's parameter blocks, checked once (the hook's check and the
    registry's are one pass); without a context, those of ``KEDRO_ENV``."""
    global _run_parameters
    from .parameters import check_parameters

    if _run_loader is None:
        return check_parameters(current_loader()["parameters"])
    if _run_parameters is None:
        _run_parameters = check_parameters(_run_loader["parameters"])
    return _run_parameters


def current_loader() -> OmegaConfigLoader:
    """The latest context's config loader, or one for ``KEDRO_ENV`` before any."""
    if _run_loader is not None:
        return _run_loader
    from kedro.framework.project import settings
    from kedro.utils import find_kedro_project

    root = find_kedro_project(Path.cwd()) or Path.cwd()
    return settings.CONFIG_LOADER_CLASS(
        conf_source=str(root / settings.CONF_SOURCE),
        env=os.environ.get("KEDRO_ENV"),
        **settings.CONFIG_LOADER_ARGS,
    )


def tracking_store(kind: str, path: str) -> str:
    """The MLflow store of ``conf/*/mlflow.yml``: ``MLFLOW_TRACKING_URI`` when set
    (a remote server, a test's temporary store), else a SQLite file (``kind`` db) or
    an artifact folder (``kind`` artifacts) at ``path`` inside the project."""
    from kedro.utils import find_kedro_project

    if kind == "db" and os.environ.get("MLFLOW_TRACKING_URI"):
        return os.environ["MLFLOW_TRACKING_URI"]
    root = find_kedro_project(Path.cwd()) or Path.cwd()
    absolute = (root / path).resolve()
    if kind == "db":
        absolute.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{absolute}"
    return absolute.as_uri()

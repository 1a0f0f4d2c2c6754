"""The run's configuration, as Kedro resolves it, for the pipeline registry.

Kedro calls ``register_pipelines()`` without arguments, yet the ensemble's members
and the inference predictor are parameters. Every Kedro command that resolves
configuration (``kedro run``, ``kedro rerun``, ``kedro viz run`` / ``build``, a
notebook session) builds the project's config loader from ``--env`` / ``KEDRO_ENV``,
``--params`` and ``--conf-source``; the project's loader class records itself as the
configuration in use and asks Kedro to register the pipelines anew. Commands that
build no loader (``kedro registry``) resolve ``KEDRO_ENV`` with the same settings.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from kedro.config import OmegaConfigLoader

_current: OmegaConfigLoader | None = None


class ProjectConfigLoader(OmegaConfigLoader):
    """Kedro's ``OmegaConfigLoader``; the latest one built is the run's configuration.

    Credentials follow every environment: ``conf/local/credentials.yml`` (git-ignored,
    where secrets live) is read under the run's environment too, so ``--env=challenge``
    finds the same shared tuning database as a run without ``--env``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        global _current
        from kedro.framework.project import pipelines

        _current = self
        pipelines.configure("pirate_pain.pipeline_registry")  # registered anew

    def __getitem__(self, key: str) -> dict[str, Any]:
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


def current_loader() -> OmegaConfigLoader:
    """The run's config loader, or one for ``KEDRO_ENV`` when no run built one."""
    if _current is not None:
        return _current
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

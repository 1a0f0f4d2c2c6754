"""Where Optuna studies live: a SQLAlchemy URL kept out of parameters and logs.

Order: ``PIRATE_PAIN_OPTUNA_STORAGE``, then ``credentials: optuna_storage`` (``url``)
from ``conf/local/credentials.yml``, then ``default_url`` (an SQLite file).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset, DatasetError

ENV_VAR = "PIRATE_PAIN_OPTUNA_STORAGE"


class OptunaStorageDataset(AbstractDataset[None, str]):
    """Loads the storage URL; read-only."""

    def __init__(
        self,
        default_url: str = "sqlite:///data/06_models/optuna_studies.db",
        credentials: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self._default_url = default_url
        self._credentials_url = (credentials or {}).get("url")
        self.metadata = metadata

    def _source(self) -> str:
        if os.environ.get(ENV_VAR):
            return f"environment variable {ENV_VAR}"
        if self._credentials_url:
            return "credentials optuna_storage"
        return f"default {self._default_url}"

    def _describe(self) -> dict[str, Any]:
        return {"source": self._source()}  # never the URL: it may hold a password

    def load(self) -> str:
        url = os.environ.get(ENV_VAR) or self._credentials_url or self._default_url
        if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(
                parents=True, exist_ok=True
            )
        return url

    def save(self, data: str) -> None:
        raise DatasetError("The Optuna storage dataset is read-only.")

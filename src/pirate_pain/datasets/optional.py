"""A read-only view of another dataset that loads None while it does not exist.

The run report uses it for outputs of pipelines that may not have run yet
(ensemble, tuning, benchmark).
"""

from __future__ import annotations

from typing import Any

from kedro.io import AbstractDataset, DatasetError


class OptionalDataset(AbstractDataset[None, Any]):
    def __init__(self, dataset: dict[str, Any], metadata: dict[str, Any] | None = None):
        self._inner = AbstractDataset.from_config("optional_inner", dict(dataset))
        self.metadata = metadata

    def _describe(self) -> dict[str, Any]:
        return {"dataset": str(self._inner)}

    def load(self) -> Any:
        try:
            return self._inner.load() if self._inner.exists() else None
        except DatasetError:
            return None

    def save(self, data: Any) -> None:
        raise DatasetError("An optional report input is read-only.")

    def _exists(self) -> bool:
        return True

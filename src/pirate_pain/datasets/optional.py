"""CSV and JSON datasets that load ``None`` while no file (version) exists yet.

Outputs of pipelines that may not have run (ensemble, tuning, benchmark) are read by
the run report through these very datasets, so kedro-viz shows the report fed by the
pipelines that write them.
"""

from __future__ import annotations

from typing import Any

from kedro_datasets.json import JSONDataset
from kedro_datasets.pandas import CSVDataset


class _LoadsNoneWhenMissing:
    def load(self) -> Any:
        if not self.exists():
            return None
        return super().load()


class OptionalCSVDataset(_LoadsNoneWhenMissing, CSVDataset):
    """``pandas.CSVDataset`` that loads ``None`` before its first save."""


class OptionalJSONDataset(_LoadsNoneWhenMissing, JSONDataset):
    """``json.JSONDataset`` that loads ``None`` before its first save."""

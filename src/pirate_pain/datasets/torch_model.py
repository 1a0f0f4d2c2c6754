"""A model artifact: weights plus the configs that rebuild the model.

Saved with ``torch.save`` and loaded with ``weights_only=True``, so loading an
artifact never runs code from the file.
"""

from __future__ import annotations

from typing import Any

import torch

from ..errors import UserInputError
from .local_files import LocalFileDataset


class TorchModelDataset(LocalFileDataset):
    """Saves a dict of plain values and tensors (see ``modeling.artifacts``)."""

    def load(self) -> dict[str, Any]:
        path = self._existing_load_path()
        try:
            return torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:  # noqa: BLE001 - any unpickling failure means the same
            raise UserInputError(
                f"Model file {path} cannot be loaded safely ({type(exc).__name__}): "
                "retrain it with this project version."
            ) from exc

    def save(self, data: dict[str, Any]) -> None:
        self._write_atomically(lambda tmp: torch.save(data, tmp))

    def _exists(self) -> bool:
        return super()._exists() and self._load_path().stat().st_size > 0

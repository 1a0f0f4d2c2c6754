"""A dict of numpy arrays in one ``.npz`` file, loaded without pickle."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .local_files import LocalFileDataset


class NpzDataset(LocalFileDataset):
    """Saves ``dict[str, np.ndarray]``; strings are stored as unicode arrays."""

    def load(self) -> dict[str, np.ndarray]:
        with np.load(self._existing_load_path(), allow_pickle=False) as archive:
            return {key: archive[key] for key in archive.files}

    def save(self, data: dict[str, np.ndarray]) -> None:
        arrays = {key: np.asarray(value) for key, value in data.items()}
        # pandas text comes as object arrays; store it as unicode so no pickle is needed
        arrays = {
            key: value.astype(str) if value.dtype == object else value
            for key, value in arrays.items()
        }

        def write(tmp: Path) -> None:
            with tmp.open("wb") as handle:
                np.savez(handle, **arrays)

        self._write_atomically(write)

"""Challenge-format CSV files with clear errors for missing or empty files."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import UserInputError
from .csv_layout import check_field_counts, check_text_layout
from .local_files import LocalFileDataset


class SequenceCSVDataset(LocalFileDataset):
    """Reads a CSV with the id column kept as text (``000`` stays ``000``).

    The loaded frame carries its path in ``frame.attrs["source"]`` so that
    validation errors can name the file. An ``optional`` file that does not exist
    loads as an empty frame marked ``attrs["missing"]``. ``origin`` says where the
    raw folder comes from (``globals.yml``): for ``synthetic`` and ``public`` the
    whole folder is written on the first load; ``challenge`` files are never made.
    """

    def __init__(
        self,
        filepath: str,
        id_column: str = "sample_index",
        hint: str = "",
        optional: bool = False,
        origin: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(filepath=filepath, metadata=metadata)
        self._id_column = id_column
        self._hint = hint
        self._optional = optional
        self._origin = dict(origin or {})

    def _describe(self) -> dict[str, Any]:
        return {**super()._describe(), "origin": self._origin}

    def load(self) -> pd.DataFrame:
        path = self._load_path()
        materialise(self._origin, path.parent)
        if not path.exists() and self._optional:
            frame = pd.DataFrame()
            frame.attrs.update(source=str(path), missing=True)
            return frame
        if not path.exists():
            hint = f" {self._hint}" if self._hint else ""
            raise UserInputError(f"File {path} does not exist:{hint or ' create it.'}")
        if path.is_dir():
            raise UserInputError(
                f"{path} is a folder, not a CSV file: point the catalog (globals.yml "
                "raw_dir) at the folder that holds the files."
            )
        text = check_text_layout(path)  # decoded once, byte-order mark dropped
        check_field_counts(path, text)
        try:
            # index_col=False: a delimiter at the end of every row is not an index
            frame = pd.read_csv(
                io.StringIO(text), dtype={self._id_column: str}, index_col=False
            )
        except pd.errors.EmptyDataError as exc:
            raise UserInputError(
                f"File {path} is empty: it needs a header row and data rows."
            ) from exc
        except pd.errors.ParserError as exc:
            raise UserInputError(
                f"File {path} is not a readable CSV file ({' '.join(str(exc).split())}): "
                "fix or replace it."
            ) from exc
        frame.attrs["source"] = str(path)
        return frame

    def save(self, data: pd.DataFrame) -> None:
        self._write_atomically(lambda tmp: data.to_csv(tmp, index=False))


def materialise(origin: dict[str, Any], directory: Path) -> None:
    """Write synthetic data or convert a public benchmark into ``directory``,
    unless it is there already; real challenge files are never made."""
    source = origin.get("data_source")
    if source == "synthetic":
        from ..synthetic import SyntheticSpec, ensure_synthetic_dataset

        ensure_synthetic_dataset(
            directory, SyntheticSpec(**(origin["synthetic"] or {}))
        )
    elif source == "public":
        from ..public_data import ensure_public_dataset

        ensure_public_dataset(origin.get("public_dataset"), directory)

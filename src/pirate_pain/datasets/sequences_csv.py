"""Challenge-format CSV files with clear errors for missing or empty files."""

from __future__ import annotations

import io
from typing import Any

import pandas as pd

from ..errors import UserInputError
from .csv_layout import check_field_counts, check_text_layout
from .local_files import LocalFileDataset


class SequenceCSVDataset(LocalFileDataset):
    """Reads a CSV with the id column kept as text (``000`` stays ``000``).

    The loaded frame carries its path in ``frame.attrs["source"]`` so that
    validation errors can name the file. An ``optional`` file that does not exist
    loads as an empty frame marked ``attrs["missing"]``. Loading never writes: the
    run writes synthetic and public raw data first (``raw_data.py``).
    """

    def __init__(
        self,
        filepath: str,
        id_column: str = "sample_index",
        hint: str = "",
        optional: bool = False,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(filepath=filepath, metadata=metadata)
        self._id_column = id_column
        self._hint = hint
        self._optional = optional

    def load(self) -> pd.DataFrame:
        path = self._load_path()
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

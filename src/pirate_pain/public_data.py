"""Real public benchmarks (UEA/UCR ``.ts`` files) in the project's long format.

``JapaneseVowels``, ``BasicMotions``, ``ArrowHead``, ``GunPoint``,
``ItalyPowerDemand``, ``Covid3Month_disc``, ``PickupGestureWiimoteZ``, ``OSULeaf``
and ``ACSF1`` ship inside the ``aeon`` package, so no
download happens; any other ``NAME_TRAIN.ts`` / ``NAME_TEST.ts`` pair in a folder
works the same way. The official train / test split is kept: the train file becomes
``pirate_pain_train.csv`` (+ labels) and the test file ``pirate_pain_test.csv``
(+ ``test_labels.csv``), so the very same pipelines run on it.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from .datasets.local_files import write_csv_atomically
from .errors import UserInputError

logger = logging.getLogger(__name__)

BUNDLED = (
    "JapaneseVowels",
    "BasicMotions",
    "ArrowHead",
    "GunPoint",
    "ItalyPowerDemand",
    "Covid3Month_disc",
    "PickupGestureWiimoteZ",
    "OSULeaf",
    "ACSF1",
)


def ts_files(name: str) -> tuple[Path, Path]:
    """Train and test ``.ts`` files of a bundled data set or a ``folder/NAME`` path."""
    if name in BUNDLED:
        import aeon

        folder = Path(aeon.__file__).parent / "datasets" / "data" / name
        stem = name
    else:
        folder, stem = Path(name).parent, Path(name).name
    train, test = folder / f"{stem}_TRAIN.ts", folder / f"{stem}_TEST.ts"
    for path in (train, test):
        if not path.exists():
            raise UserInputError(
                f"Benchmark file {path} does not exist: set public_dataset in globals.yml "
                f"to one of {', '.join(BUNDLED)} or to folder/NAME with NAME_TRAIN.ts "
                "and NAME_TEST.ts."
            )
    return train, test


def ts_to_long_format(
    path: Path, first_index: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One ``.ts`` file -> (long-format frame, labels); channels become ``dim_<k>``."""
    from aeon.datasets import load_from_ts_file

    series, labels = load_from_ts_file(str(path))
    width = max(3, len(str(first_index + len(series))))
    frames = []
    for i, values in enumerate(series):  # values: (channels, length)
        values = np.asarray(values, dtype=float)
        frame = pd.DataFrame(values.T, columns=[f"dim_{k}" for k in range(len(values))])
        frame.insert(0, "sample_index", f"{first_index + i:0{width}d}")
        frame.insert(1, "time", np.arange(values.shape[1]))
        frames.append(frame)
    ids = [f"{first_index + i:0{width}d}" for i in range(len(series))]
    return pd.concat(frames, ignore_index=True), pd.DataFrame(
        {"sample_index": ids, "label": [str(x) for x in labels]}
    )


def ensure_public_dataset(name: str | None, raw_dir: Path) -> bool:
    """Convert a benchmark into ``raw_dir`` unless it is already there.

    Returns:
        True when files were written.
    """
    if not name:
        raise UserInputError(
            "globals.yml sets data_source: public but no public_dataset: name one of "
            f"{', '.join(BUNDLED)}."
        )
    marker = raw_dir / "SOURCE.md"
    if marker.exists() and marker.read_text().startswith(f"# {name}\n"):
        return False
    train_ts, test_ts = ts_files(name)
    train, train_labels = ts_to_long_format(train_ts)
    test, test_labels = ts_to_long_format(test_ts, first_index=len(train_labels))
    raw_dir.mkdir(parents=True, exist_ok=True)
    outputs = {
        "pirate_pain_train.csv": train,
        "pirate_pain_train_labels.csv": train_labels,
        "pirate_pain_test.csv": test,
        "test_labels.csv": test_labels,
    }
    for file_name, frame in outputs.items():
        write_csv_atomically(frame, raw_dir / file_name)
    marker.write_text(
        f"# {name}\n\nPublic UEA/UCR benchmark, official split, converted from "
        f"{train_ts.name} and {test_ts.name} (bundled with aeon).\n"
    )
    logger.info(
        "Converted %s (%d train, %d test sequences) into %s.",
        name,
        len(train_labels),
        len(test_labels),
        raw_dir,
    )
    return True

"""The project's versioned files follow Kedro's own layout through Kedro's public
version API (``resolve_load_version`` / ``resolve_save_version``): this fails when
Kedro moves its versions, so ``datasets/local_files.py`` can follow."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from kedro.io.core import DatasetError, Version
from kedro_datasets.pandas import CSVDataset

from pirate_pain.datasets import NpzDataset


def test_versions_land_where_kedro_puts_them_and_the_latest_loads(tmp_path):
    ours, theirs = tmp_path / "arrays.npz", tmp_path / "table.csv"
    for version in ("2026-01-01T00.00.00.000Z", "2026-01-02T00.00.00.000Z"):
        NpzDataset(str(ours), version=Version(None, version)).save(
            {"x": np.arange(3) + int(version[8:10])}
        )
        CSVDataset(filepath=str(theirs), version=Version(None, version)).save(
            pd.DataFrame({"a": [1]})
        )
    layout = sorted(p.relative_to(ours) for p in ours.rglob("*") if p.is_file())
    kedro = sorted(p.relative_to(theirs) for p in theirs.rglob("*") if p.is_file())
    assert len(kedro) == 2
    assert [p.parent for p in layout] == [p.parent for p in kedro]
    assert {p.name for p in layout} == {"arrays.npz"}
    latest = NpzDataset(str(ours), version=Version(None, None))
    assert latest.exists() and list(latest.load()["x"]) == [2, 3, 4]
    pinned = NpzDataset(str(ours), version=Version("2026-01-01T00.00.00.000Z", None))
    assert list(pinned.load()["x"]) == [1, 2, 3]


def test_a_version_saved_twice_is_refused_and_the_first_kept(tmp_path):
    path, version = tmp_path / "arrays.npz", Version(None, "2026-01-01T00.00.00.000Z")
    NpzDataset(str(path), version=version).save({"x": np.zeros(2)})
    with pytest.raises(DatasetError, match="must not exist"):
        NpzDataset(str(path), version=version).save({"x": np.ones(2)})
    kept = NpzDataset(str(path), version=Version(None, None)).load()
    assert list(kept["x"]) == [0, 0]


def test_nothing_saved_yet_does_not_exist(tmp_path):
    assert not NpzDataset(str(tmp_path / "a.npz"), version=Version(None, None)).exists()
    assert not NpzDataset(str(tmp_path / "b.npz")).exists()

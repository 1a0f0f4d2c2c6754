"""Synthetic raw data is written by a visible step of a run, never by a load."""

from __future__ import annotations

import logging

import pytest
from kedro.framework.session import KedroSession

from pirate_pain.errors import find_user_error
from tests.conftest import run_pipeline


def test_loading_writes_nothing_and_a_run_writes_the_raw_files_first(project, caplog):
    raw = project / "data/01_raw/synthetic"
    with KedroSession.create(project_path=project) as session:
        catalog = session.load_context().catalog
        with pytest.raises(Exception) as info:
            catalog.load("raw_train_sequences")
    message = str(find_user_error(info.value))
    assert "pirate_pain_train.csv does not exist" in message
    assert "run `kedro run --pipeline=ingestion` once" in message
    assert not raw.exists()

    with caplog.at_level(logging.WARNING, logger="pirate_pain.hooks"):
        run_pipeline(project, "ingestion")
    assert f"Data: wrote the synthetic raw files into {raw}" in caplog.text
    assert (raw / "pirate_pain_train.csv").is_file()
    assert (project / "data/03_primary/train_sequences.npz").is_file()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="pirate_pain.hooks"):
        run_pipeline(project, "ingestion")
    assert "Data: wrote" not in caplog.text  # there already: kept as it is

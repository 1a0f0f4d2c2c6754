"""Ids, labels and names written to CSV outputs come back as the same text through
the catalog: a model id like 1234e5678901 is not a float, 007 is not 7."""

from __future__ import annotations

import pandas as pd

from tests.conftest import TEXT_COLUMNS, read_output

TRICKY = ["1234e5678901", "007", "9540e9949903", "1"]


def test_every_csv_output_round_trips_ids_and_names_as_text(project):
    from kedro.framework.session import KedroSession

    with KedroSession.create(project_path=project) as session:
        catalog = session.load_context().catalog
        names = [
            n
            for n in catalog
            if type(catalog.get(n)).__name__ in ("CSVDataset", "OptionalCSVDataset")
            and not n.startswith("raw_")
        ]
        assert {"test_probabilities", "oof_predictions", "comparison_table"} <= set(
            names
        )
        frame = pd.DataFrame({column: TRICKY for column in TEXT_COLUMNS})
        frame["p_no_pain"] = [0.1, 0.2, 0.3, 0.4]
        for name in names:
            catalog.save(name, frame)
            loaded = catalog.load(name)
            for column in TEXT_COLUMNS:
                assert loaded[column].tolist() == TRICKY, (name, column)
            assert loaded["p_no_pain"].dtype == float


def test_tests_read_outputs_as_the_catalog_does(tmp_path):
    path = tmp_path / "t.csv"
    pd.DataFrame({"model_id": TRICKY, "sample_index": TRICKY}).to_csv(path, index=False)
    assert pd.read_csv(path)["model_id"].tolist() != TRICKY  # what pandas alone does
    assert read_output(path)["model_id"].tolist() == TRICKY

"""Ingestion: the happy path, the real excerpt, and one test per bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pirate_pain.datasets import SequenceCSVDataset
from pirate_pain.errors import UserInputError, find_user_error
from pirate_pain.validation import attach_labels, validate_sequences
from tests.conftest import SHARED_EXCERPT


def _fails(match: str, func, *args):
    with pytest.raises(UserInputError, match=match) as info:
        func(*args)
    message = str(info.value)
    assert message.count("\n") == 0 and message.endswith(".")
    return message


def test_valid_file_becomes_arrays(tiny_raw, ingestion_params):
    frame, labels = tiny_raw
    shuffled = frame.sample(frac=1.0, random_state=0)
    shuffled.attrs = frame.attrs
    sequences = validate_sequences(shuffled, ingestion_params)
    assert sequences["x"].shape == (24, 16, 35)
    # sequences keep the order in which they first appear in the file
    assert list(sequences["sample_ids"]) == list(pd.unique(shuffled.sample_index))
    k = list(sequences["sample_ids"]).index("000")
    first = frame[frame.sample_index == "000"].sort_values("time")
    np.testing.assert_allclose(sequences["x"][k, :, 4], first["joint_00"], rtol=1e-6)
    labelled = attach_labels(sequences, labels, ingestion_params)
    by_id = dict(zip(labels.sample_index, labels.label))
    expected = [
        ingestion_params["classes"].index(by_id[i]) for i in sequences["sample_ids"]
    ]
    assert labelled["y"].tolist() == expected


def test_missing_column(tiny_raw, ingestion_params):
    frame = tiny_raw[0].drop(columns=["joint_07"])
    frame.attrs["source"] = "train.csv"
    msg = _fails("missing column", validate_sequences, frame, ingestion_params)
    assert "train.csv" in msg and "joint_07" in msg


def test_extra_column(tiny_raw, ingestion_params):
    frame = tiny_raw[0].assign(joint_99=1.0)
    _fails("unexpected column.*joint_99", validate_sequences, frame, ingestion_params)


def test_non_numeric_value(tiny_raw, ingestion_params):
    frame = tiny_raw[0].astype({"joint_03": object})
    frame.loc[37, "joint_03"] = "abc"
    msg = _fails("non-numeric value 'abc'", validate_sequences, frame, ingestion_params)
    assert "joint_03" in msg and "sample 002" in msg


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_or_inf(tiny_raw, ingestion_params, bad):
    frame = tiny_raw[0].copy()
    frame.loc[5, "joint_12"] = bad
    _fails(
        "joint_12' has a missing or infinite value in sample 000",
        validate_sequences,
        frame,
        ingestion_params,
    )


@pytest.mark.parametrize("huge", [1e308, -3.5e38])
def test_values_beyond_float32_are_refused(tiny_raw, ingestion_params, huge):
    frame = tiny_raw[0].copy()
    frame.loc[5, "joint_12"] = huge
    msg = _fails("joint_12' has the value", validate_sequences, frame, ingestion_params)
    assert "sample 000 (row 7), beyond the float32 range" in msg


def test_duplicate_time_step(tiny_raw, ingestion_params):
    frame = tiny_raw[0]
    doubled = pd.concat([frame, frame.iloc[[20]]], ignore_index=True)
    _fails(
        "more than one row for sample 001 at time 4",
        validate_sequences,
        doubled,
        ingestion_params,
    )


def test_unsorted_rows_are_sorted(tiny_raw, ingestion_params):
    frame = tiny_raw[0]
    reversed_rows = frame.iloc[::-1].reset_index(drop=True)
    a = validate_sequences(frame, ingestion_params)
    b = validate_sequences(reversed_rows, ingestion_params)
    np.testing.assert_array_equal(a["x"], b["x"][::-1])
    assert list(b["sample_ids"]) == list(a["sample_ids"])[::-1]


def test_time_gap_refused_unless_allowed(tiny_raw, ingestion_params):
    frame = tiny_raw[0].drop(index=[3]).reset_index(drop=True)
    _fails(
        "sample 000 jumps from time 2 to 4", validate_sequences, frame, ingestion_params
    )
    allowed = {**ingestion_params, "allow_time_gaps": True, "unequal_lengths": "pad"}
    sequences = validate_sequences(frame, allowed)
    assert sequences["lengths"][0] == 15


def test_unequal_lengths_refused_or_padded(tiny_raw, ingestion_params):
    frame = tiny_raw[0]
    short = frame[~((frame.sample_index == "004") & (frame.time >= 10))]
    _fails(
        "unequal lengths \\(sample 004 has 10 steps, most have 16\\)",
        validate_sequences,
        short,
        ingestion_params,
    )
    padded = validate_sequences(short, {**ingestion_params, "unequal_lengths": "pad"})
    assert padded["x"].shape == (24, 16, 35)
    assert padded["lengths"][4] == 10
    assert np.all(padded["x"][4, 10:] == 0)


def test_header_only_file(tiny_raw, ingestion_params):
    empty = tiny_raw[0].iloc[:0]
    _fails("header but no rows", validate_sequences, empty, ingestion_params)


def test_categorical_changing_within_sequence(tiny_raw, ingestion_params):
    frame = tiny_raw[0].copy()
    frame.loc[3, "n_legs"] = "three"
    _fails(
        "'n_legs' changes within sample 000",
        validate_sequences,
        frame,
        ingestion_params,
    )


@pytest.fixture
def sequences(tiny_raw, ingestion_params):
    return validate_sequences(tiny_raw[0], ingestion_params)


def test_label_for_unknown_sample(sequences, tiny_raw, ingestion_params):
    labels = pd.concat(
        [tiny_raw[1], pd.DataFrame({"sample_index": ["999"], "label": ["no_pain"]})]
    )
    labels.attrs["source"] = "labels.csv"
    _fails(
        "labels.csv labels sample\\(s\\) 999 that are not in the sequence file",
        attach_labels,
        sequences,
        labels,
        ingestion_params,
    )


def test_sample_without_label(sequences, tiny_raw, ingestion_params):
    labels = tiny_raw[1].iloc[1:]
    labels.attrs["source"] = "labels.csv"
    _fails(
        "Sample\\(s\\) 000 of the sequence file have no label",
        attach_labels,
        sequences,
        labels,
        ingestion_params,
    )


def test_unknown_label_string(sequences, tiny_raw, ingestion_params):
    labels = tiny_raw[1].copy()
    labels.loc[2, "label"] = "extreme_pain"
    _fails(
        "unknown label 'extreme_pain' for sample 002.*no_pain, low_pain, high_pain",
        attach_labels,
        sequences,
        labels,
        ingestion_params,
    )


def test_duplicate_label(sequences, tiny_raw, ingestion_params):
    labels = pd.concat([tiny_raw[1], tiny_raw[1].iloc[[5]]])
    _fails(
        "sample 005 more than once", attach_labels, sequences, labels, ingestion_params
    )


def _load_error(dataset) -> str:
    with pytest.raises(Exception) as info:
        dataset.load()
    user_error = find_user_error(info.value)
    assert user_error is not None
    return str(user_error)


def test_empty_and_missing_files(tmp_path):
    empty = tmp_path / "pirate_pain_train.csv"
    empty.write_text("")
    assert _load_error(SequenceCSVDataset(str(empty))) == (
        f"File {empty} is empty: it needs a header row and data rows."
    )
    missing = _load_error(SequenceCSVDataset(str(tmp_path / "x.csv"), hint="copy it."))
    assert missing.endswith("x.csv does not exist: copy it.")


@pytest.mark.skipif(not SHARED_EXCERPT.exists(), reason="../shared excerpt is absent")
def test_real_excerpt_is_read_correctly(ingestion_params):
    raw = SequenceCSVDataset(
        str(SHARED_EXCERPT / "pirate_pain_train_excerpt.csv")
    ).load()
    sequences = validate_sequences(raw, ingestion_params)
    assert sequences["x"].shape == (11, 160, 35)
    assert sequences["sample_ids"][0] == "000" and sequences["sample_ids"][-1] == "010"
    assert sequences["categorical_values"][8].tolist() == [
        "one+peg_leg",
        "one+hook_hand",
        "one+eye_patch",
    ]
    joint_30 = list(ingestion_params["numeric_columns"]).index("joint_30")
    assert np.all(sequences["x"][:, :, joint_30] == 0.5)
    all_labels = SequenceCSVDataset(
        str(SHARED_EXCERPT / "pirate_pain_train_labels.csv")
    ).load()
    assert all_labels["label"].value_counts().to_dict() == {
        "no_pain": 511,
        "low_pain": 94,
        "high_pain": 56,
    }
    labels = all_labels[all_labels.sample_index.isin(sequences["sample_ids"])]
    labelled = attach_labels(sequences, labels, ingestion_params)
    assert labelled["y"][2] == 1  # sample 002 is low_pain


def test_a_folder_instead_of_a_file_is_named(tmp_path):
    folder = tmp_path / "pirate_pain_train.csv"
    folder.mkdir()
    assert _load_error(SequenceCSVDataset(str(folder))).startswith(
        f"{folder} is a folder, not a CSV file"
    )


def test_a_comma_at_the_end_of_every_row_keeps_the_columns(
    tmp_path, tiny_raw, ingestion_params
):
    path = tmp_path / "pirate_pain_train.csv"
    text = tiny_raw[0].to_csv(index=False)
    path.write_text("\n".join(line + "," for line in text.splitlines()[1:]))
    path.write_text(text.splitlines()[0] + "\n" + path.read_text())
    frame = SequenceCSVDataset(str(path)).load()
    assert list(frame.columns) == list(tiny_raw[0].columns)
    expected = validate_sequences(tiny_raw[0], ingestion_params)
    np.testing.assert_allclose(
        validate_sequences(frame, ingestion_params)["x"], expected["x"], rtol=1e-6
    )

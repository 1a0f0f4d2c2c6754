"""Bad input files through the real CLI: exit 1, one line naming what to fix, and no
output under data/ changed (byte for byte)."""

from __future__ import annotations

import gzip
import hashlib
import shutil

import pandas as pd
import pytest

from tests.conftest import kedro_cli, make_project

TINY = (
    "--params=train.epochs=1,train.model.hidden_size=4,train.model.num_layers=1,"
    "train.progress_bar=false"
)


def _snapshot(root) -> dict[str, str]:
    """Content hash of every output file (the raw inputs are what the cases edit;
    the tracking store records failed runs too, by design)."""
    data = root / "data"
    return {
        str(p.relative_to(data)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(data.rglob("*"))
        if p.is_file() and p.relative_to(data).parts[0] not in ("01_raw", "09_tracking")
    }


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = make_project(tmp_path_factory.mktemp("bad") / "project")
    first = kedro_cli(root, "run", "--pipeline=train", TINY)
    assert first.returncode == 0, first.stderr[-2000:]
    # MLflow's warning about kedro-mlflow's model class is not printed on every run
    assert "Add type hints" not in first.stderr
    raw = root / "data/01_raw/synthetic"
    for name in ("pirate_pain_train.csv", "pirate_pain_train_labels.csv"):
        shutil.copy(raw / name, root / f"{name}.orig")
    shutil.copy(raw / "pirate_pain_test.csv", root / "pirate_pain_test.csv.orig")
    return root


def _swap(frame, a, b):
    return frame.rename(columns={a: b, b: a})[list(frame.columns)]


CASES = {
    "test columns swapped": (
        "pirate_pain_test.csv",
        lambda f: _swap(f, "joint_00", "pain_survey_1"),
        "inference",
        "distributed unlike training",
    ),
    "test category re-encoded": (
        "pirate_pain_test.csv",
        lambda f: f.assign(n_legs=f["n_legs"].replace("two", "2")),
        "inference",
        "Column 'n_legs' has value(s) '2' that training never saw",
    ),
    "test value never seen": (
        "pirate_pain_test.csv",
        lambda f: f.assign(n_eyes=f["n_eyes"].replace("two", "three")),
        "inference",
        "Column 'n_eyes' has value(s) 'three'",
    ),
    "test column rescaled": (
        "pirate_pain_test.csv",
        lambda f: f.assign(joint_00=f["joint_00"] * 100),
        "inference",
        "'joint_00'",
    ),
    "train value beyond float32": (
        "pirate_pain_train.csv",
        lambda f: f.assign(joint_03=f["joint_03"].where(f.index != 7, 1e308)),
        "train",
        "beyond the float32 range",
    ),
    "train text in a number column": (
        "pirate_pain_train.csv",
        lambda f: f.astype({"joint_04": object}).assign(
            joint_04=lambda g: g["joint_04"].where(g.index != 9, "abc")
        ),
        "train",
        "non-numeric value 'abc'",
    ),
    "a class missing from the labels": (
        "pirate_pain_train_labels.csv",
        lambda f: f.assign(label=f["label"].replace("high_pain", "low_pain")),
        "train",
        "Class 'high_pain' has no labelled training sequence",
    ),
    # files that are not comma-separated UTF-8 text: the message says how to save
    "semicolon-separated": (
        "pirate_pain_train.csv",
        lambda f: f.to_csv(index=False, sep=";"),
        "ingestion",
        "is separated by semicolons, not commas",
    ),
    "Excel's sep= line": (
        "pirate_pain_train.csv",
        lambda f: "sep=,\n" + f.to_csv(index=False),
        "ingestion",
        "starts with Excel's 'sep=,' line: delete that first line",
    ),
    "gzip-compressed": (
        "pirate_pain_train.csv",
        lambda f: gzip.compress(f.to_csv(index=False).encode()),
        "ingestion",
        "is gzip-compressed: decompress it",
    ),
    "UTF-16": (
        "pirate_pain_test.csv",
        lambda f: f.to_csv(index=False).encode("utf-16"),
        "inference",
        "is encoded as UTF-16: save it as comma-separated UTF-8",
    ),
    "fractional time step": (
        "pirate_pain_train.csv",
        lambda f: f.assign(time=f["time"].where(f.index != 5, 5.5)),
        "ingestion",
        "has the fractional step 5.5 in sample 000 (row 7)",
    ),
    "label ids without zero padding": (
        "pirate_pain_train_labels.csv",
        lambda f: f.assign(
            sample_index=f["sample_index"].str.lstrip("0").replace("", "0")
        ),
        "ingestion",
        "without the leading zeros of the sequence file ('0' for '000')",
    ),
    "unquoted decimal comma": (
        "pirate_pain_train.csv",
        lambda f: _decimal_comma_in_row(f.to_csv(index=False), 3),
        "ingestion",
        "row 3 has 41 fields but the header has 40: it looks like a decimal comma",
    ),
}


def _decimal_comma_in_row(text: str, row: int) -> str:
    """The first decimal point of line ``row`` written as an unquoted comma."""
    lines = text.split("\n")
    lines[row - 1] = lines[row - 1].replace(".", ",", 1)
    return "\n".join(lines)


def _write(path, content) -> None:
    if isinstance(content, pd.DataFrame):
        content.to_csv(path, index=False)
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_bad_file_is_one_sentence_and_changes_nothing(trained, case):
    file_name, mutate, pipeline, message = CASES[case]
    raw = trained / "data/01_raw/synthetic" / file_name
    original = pd.read_csv(trained / f"{file_name}.orig", dtype={"sample_index": str})
    before = _snapshot(trained)
    _write(raw, mutate(original))
    try:
        result = kedro_cli(trained, "run", f"--pipeline={pipeline}", TINY)
    finally:
        shutil.copy(trained / f"{file_name}.orig", raw)
    assert result.returncode == 1, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: ") and message in last, last
    assert _snapshot(trained) == before

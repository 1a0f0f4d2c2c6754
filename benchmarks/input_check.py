"""How the inference input check behaves: false refusals and caught column swaps.

Uses the fitted ``feature_transform`` (its training profile) and the raw test file of
the project's current data (run ``kedro run --pipelines=ingestion,features`` first).
Prints: the whole test file's largest CDF gap; how often random small test files
(60 sequences) are refused; how many of all pairwise swaps of the numeric columns,
of x10 rescalings and of categorical re-encodings are refused.

    python benchmarks/input_check.py [--threshold 0.2] [--draws 200]
"""

from __future__ import annotations

import argparse
import itertools

import numpy as np
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project

from pirate_pain.errors import UserInputError
from pirate_pain.modeling.data import select_rows
from pirate_pain.modeling.predict import check_columns_like_training
from pirate_pain.modeling.profile import column_gaps
from pirate_pain.validation import validate_sequences


def _refused(sequences: dict, transform: dict, threshold: float) -> bool:
    try:
        check_columns_like_training(sequences, transform, threshold)
    except UserInputError:
        return True
    return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threshold", type=float, default=0.2)
    parser.add_argument("--draws", type=int, default=200)
    parser.add_argument("--size", type=int, default=60)
    args = parser.parse_args()
    bootstrap_project(".")
    with KedroSession.create() as session:
        catalog = session.load_context().catalog
        transform = catalog.load("feature_transform")
        params = catalog.load("params:ingestion")
        test = validate_sequences(catalog.load("raw_test_sequences"), params)
    names = [str(n) for n in test["feature_names"]]
    mask = np.arange(test["x"].shape[1])[None, :] < test["lengths"][:, None]
    gaps = column_gaps(transform["profile"], test["x"][mask], names)
    worst = max(gaps, key=gaps.get)
    print(
        f"whole test file ({len(test['sample_ids'])} sequences): largest gap "
        f"{gaps[worst]:.3f} ({worst}), refused: "
        f"{_refused(test, transform, args.threshold)}"
    )
    rng = np.random.default_rng(0)
    small = [
        _refused(
            select_rows(test, rng.choice(len(test["y"]), args.size, replace=False)),
            transform,
            args.threshold,
        )
        for _ in range(args.draws)
    ]
    print(
        f"random test files of {args.size} sequences: {sum(small)} of {args.draws} "
        "refused"
    )
    caught, missed = 0, []
    for a, b in itertools.combinations(range(len(names)), 2):
        swapped = dict(test)
        swapped["x"] = test["x"].copy()
        swapped["x"][:, :, [a, b]] = test["x"][:, :, [b, a]]
        if _refused(swapped, transform, args.threshold):
            caught += 1
        else:
            missed.append((names[a], names[b]))
    pairs = caught + len(missed)
    print(
        f"pairwise swaps of {len(names)} numeric columns: {caught} of {pairs} refused"
    )
    if missed:
        print(f"  not refused (alike distributions), e.g.: {missed[:5]}")
    rescaled = 0
    for j in range(len(names)):
        changed = dict(test)
        changed["x"] = test["x"].copy()
        changed["x"][:, :, j] *= 10
        rescaled += _refused(changed, transform, args.threshold)
    print(f"one column x10: {rescaled} of {len(names)} refused")
    cats = [str(n) for n in test["categorical_names"]]
    recoded = 0
    for k in range(len(cats)):
        changed = dict(test)
        changed["categorical_values"] = test["categorical_values"].copy()
        column = changed["categorical_values"][:, k]
        changed["categorical_values"][:, k] = np.where(column == "two", "2", column)
        recoded += _refused(changed, transform, args.threshold)
    print(f"categorical 'two' -> '2': {recoded} of {len(cats)} columns refused")


if __name__ == "__main__":
    main()

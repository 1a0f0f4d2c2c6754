"""Selection rules compared by nested cross-validation on the public suite.

The out-of-fold predictions of each data set's select run (written by
``benchmarks/public_suite.py`` to data/08_reporting/public_suite_oof/<env>.csv)
are split again into outer folds: each rule chooses on the other folds' rows
(inner), and its choice is scored on the outer fold's rows, which it never saw.
The test split is not read. Per data set and rule: the macro F1 the rule
claims on the rows it chose on, the nested macro F1 (outer predictions pooled)
and the gap between them (claim minus nested: how much the rule overfits its
folds).

Rules: the best single candidate, greedy forward selection (today's), bagged
greedy selection (25 bootstrap bags), anchored greedy selection (greedy only where
its choices beat MultiRocket-Hydra on rows they were not chosen on; "anchored 0.9":
and keep that lead in 90 % of bootstrap samples of those rows), and stacking (a
multinomial logistic regression on the log probabilities, its L2 strength chosen
by inner 5-fold CV on log loss). A rule's claim is its macro F1 on the rows it chose on.

    python benchmarks/public_suite.py         # writes the out-of-fold tables
    python benchmarks/selection_rules.py      # then this (seconds)

Writes data/08_reporting/selection_rules.csv (and every outer split's figures to
selection_rules_draws.csv) and prints it with the means and each rule's paired
difference to greedy.
"""

from __future__ import annotations

import argparse
import warnings
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegressionCV
from sklearn.model_selection import StratifiedKFold

from pirate_pain.modeling.scores import macro_f1
from pirate_pain.modeling.selection import (
    anchored_selection,
    bagged_selection,
    greedy_selection,
    out_of_fold_arrays,
)

ROOT = Path(__file__).resolve().parents[1]
OOF_DIR = ROOT / "data" / "08_reporting" / "public_suite_oof"
OUTPUT = ROOT / "data" / "08_reporting" / "selection_rules.csv"
DRAWS = ROOT / "data" / "08_reporting" / "selection_rules_draws.csv"


def _averaged(weights: dict[str, float]):
    """A weighted soft vote as a rule's predictor."""

    def predict(probs: dict[str, np.ndarray]) -> np.ndarray:
        total = sum(w * probs[n].mean(0) for n, w in weights.items())
        return total / sum(weights.values())

    return predict


def best_single(probs, y):
    selection = greedy_selection(probs, y, max_members=1)
    return _averaged(selection["weights"]), selection["oof_macro_f1"]


def greedy(probs, y):
    selection = greedy_selection(probs, y)
    return _averaged(selection["weights"]), selection["oof_macro_f1"]


def bagged(probs, y):
    selection = bagged_selection(probs, y)
    return _averaged(selection["weights"]), selection["oof_macro_f1"]


def anchored(probs, y, confidence=0.0):
    selection = anchored_selection(probs, y, confidence=confidence)
    return _averaged(selection["weights"]), selection["oof_macro_f1"]


def _stack_features(probs: dict[str, np.ndarray], names: list[str]) -> np.ndarray:
    return np.concatenate(
        [np.log(np.clip(probs[n].mean(0), 1e-6, 1)) for n in names], 1
    )


def stacking(probs, y):
    names = list(probs)
    folds = min(5, int(np.bincount(y)[np.unique(y)].min()))
    model = LogisticRegressionCV(  # L2 strength by inner CV on log loss
        Cs=np.logspace(-2, 2, 5),
        cv=StratifiedKFold(folds, shuffle=True, random_state=0),
        scoring="neg_log_loss",
        max_iter=500,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(_stack_features(probs, names), y)

    def predict(other: dict[str, np.ndarray]) -> np.ndarray:
        out = np.zeros((len(next(iter(other.values()))[0]), int(y.max()) + 1))
        out[:, model.classes_] = model.predict_proba(_stack_features(other, names))
        return out

    # the claim, as for the other rules: macro F1 on the rows it was fitted on
    return predict, macro_f1(y, predict(probs))


RULES = {
    "best single": best_single,
    "greedy": greedy,
    "bagged": bagged,
    "anchored": anchored,
    "anchored 0.9": partial(anchored, confidence=0.9),
    "stacking": stacking,
}


def nested(probs: dict[str, np.ndarray], y: np.ndarray, outer: int, seed: int):
    """Per rule: mean claimed macro F1 (inner rows) and nested macro F1."""
    rows = []
    splits = StratifiedKFold(outer, shuffle=True, random_state=seed).split(y, y)
    splits = list(splits)
    for rule, choose in RULES.items():
        pooled = np.zeros((len(y), next(iter(probs.values())).shape[2]))
        claims = []
        for inner, held in splits:
            predict, claim = choose(
                {n: p[:, inner] for n, p in probs.items()}, y[inner]
            )
            pooled[held] = predict({n: p[:, held] for n, p in probs.items()})
            claims.append(claim)
        score = macro_f1(y, pooled)
        rows.append(
            {
                "rule": rule,
                "claimed": round(float(np.mean(claims)), 4),
                "nested": round(float(score), 4),
                "gap": round(float(np.mean(claims) - score), 4),
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outer", type=int, default=5, help="outer folds")
    parser.add_argument("--seeds", type=int, default=3, help="outer splits drawn")
    args = parser.parse_args()
    tables = sorted(OOF_DIR.glob("*.csv"))
    if not tables:
        raise SystemExit(f"No out-of-fold tables in {OOF_DIR}: run public_suite.py.")
    results = []
    for path in tables:
        oof = pd.read_csv(path, dtype={"sample_index": str, "label": str})
        candidates = list(dict.fromkeys(oof["configuration"]))
        probs, y, _, raced = out_of_fold_arrays(oof, candidates)
        for seed in range(args.seeds):
            for row in nested(probs, y, args.outer, seed):
                results.append({"dataset": path.stem, "seed": seed, **row})
        print(f"{path.stem}: {len(y)} rows, {len(probs)} candidates (raced: {raced})")
    draws = pd.DataFrame(results)
    DRAWS.parent.mkdir(parents=True, exist_ok=True)
    draws.to_csv(DRAWS, index=False)
    table = draws.groupby(["dataset", "rule"], sort=False).mean()
    table = table.drop(columns="seed").round(4).reset_index()
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(OUTPUT, index=False)
    print(table.to_string(index=False))
    means = table.groupby("rule", sort=False)[["claimed", "nested", "gap"]].mean()
    print("\nmean over data sets:\n" + means.round(4).to_string())
    print("\nnested macro F1 minus greedy's, paired over data sets x outer splits:")
    wide = draws.pivot_table(index=["dataset", "seed"], columns="rule", values="nested")
    for rule in [r for r in RULES if r != "greedy"]:
        diff = wide[rule] - wide["greedy"]
        error = diff.std(ddof=1) / np.sqrt(len(diff))
        print(
            f"  {rule:12s} {diff.mean():+.4f} (standard error {error:.4f}, n={len(diff)})"
        )


if __name__ == "__main__":
    main()

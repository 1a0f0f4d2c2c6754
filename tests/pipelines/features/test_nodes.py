"""Features: selection, merge, scaling fitted on train only, split."""

from __future__ import annotations

import numpy as np
import pytest

from pirate_pain.errors import UserInputError
from pirate_pain.modeling.preprocessing import apply_feature_transform
from pirate_pain.pipelines.features.nodes import (
    fit_feature_transform,
    split_train_validation,
)
from pirate_pain.validation import attach_labels, validate_sequences


@pytest.fixture
def labelled(tiny_raw, ingestion_params):
    frame, labels = tiny_raw
    return attach_labels(
        validate_sequences(frame, ingestion_params), labels, ingestion_params
    )


def test_split_is_stratified_and_seeded(labelled, features_params):
    train, val = split_train_validation(labelled, features_params)
    assert len(train["y"]) + len(val["y"]) == 24
    assert not set(train["sample_ids"]) & set(val["sample_ids"])
    again, _ = split_train_validation(labelled, features_params)
    assert train["sample_ids"].tolist() == again["sample_ids"].tolist()
    other, _ = split_train_validation(labelled, {**features_params, "split_seed": 1})
    assert train["sample_ids"].tolist() != other["sample_ids"].tolist()


def test_constant_and_correlated_columns_dropped(labelled, features_params):
    transform, report = fit_feature_transform(labelled, features_params)
    dropped = {d["column"]: d["reason"] for d in report["dropped_features"]}
    assert dropped["joint_30"].startswith("constant")
    # the generator plants joint_02 ~ joint_00, joint_03 ~ joint_01, joint_11 ~ joint_10
    assert {"joint_02", "joint_03", "joint_11"} <= set(dropped)
    assert "joint_00" in transform["kept_features"]
    loose = fit_feature_transform(
        labelled, {**features_params, "correlation_threshold": 1.0}
    )[1]
    reasons = [d["reason"] for d in loose["dropped_features"]]
    assert reasons and all(r.startswith("constant") for r in reasons)


def test_scalers_fitted_on_training_split_only(labelled, features_params):
    train, val = split_train_validation(labelled, features_params)
    transform, _ = fit_feature_transform(train, features_params)
    x_train = apply_feature_transform(train, transform)["x"]
    kept = transform["kept_features"]
    group = next(s for s in transform["scalers"] if s["group"] == "joints_main")
    cols = [kept.index(c) for c in group["columns"]]
    flat = x_train[:, :, cols].reshape(-1, len(cols))
    np.testing.assert_allclose(flat.mean(0), 0, atol=1e-4)
    np.testing.assert_allclose(flat.std(0), 1, atol=1e-3)
    x_val = apply_feature_transform(val, transform)["x"][:, :, cols]
    assert abs(x_val.reshape(-1, len(cols)).std(0) - 1).max() > 1e-3


def test_n_limbs_merge(labelled, features_params):
    labelled = dict(labelled)
    cats = np.full_like(labelled["categorical_values"], "two")
    cats[3] = ["one+peg_leg", "one+hook_hand", "one+eye_patch"]
    labelled["categorical_values"] = cats
    transform, report = fit_feature_transform(labelled, features_params)
    assert report["merged_categorical"][0]["name"] == "n_limbs"
    static = apply_feature_transform(labelled, transform)["static"]
    assert static.shape == (24, 1)
    assert static[3, 0] == 2 and (np.delete(static[:, 0], 3) == 1).all()


def test_scaling_group_without_match_is_refused(labelled, features_params):
    params = {
        **features_params,
        "scaling_groups": [{"name": "typo", "columns": ["jiont_.*"]}],
    }
    with pytest.raises(
        UserInputError, match="features.scaling_groups 'typo' matches no"
    ):
        fit_feature_transform(labelled, params)


def test_bad_validation_fraction(labelled, features_params):
    with pytest.raises(UserInputError, match="features.validation_fraction is 1.5"):
        split_train_validation(
            labelled, {**features_params, "validation_fraction": 1.5}
        )


def test_a_class_absent_from_the_labels_is_refused(labelled, features_params):
    absent = dict(labelled)
    absent["y"] = np.where(labelled["y"] == 2, 0, labelled["y"])  # no high_pain left
    with pytest.raises(UserInputError) as info:
        split_train_validation(absent, features_params)
    assert str(info.value).startswith(
        "Class 'high_pain' has no labelled training sequence"
    )
    single = dict(labelled)
    single["y"] = labelled["y"].copy()
    single["y"][single["y"] == 2] = 0
    single["y"][0] = 2  # one high_pain sequence: no stratified split possible
    with pytest.raises(UserInputError, match="Class 'high_pain' has 1 labelled"):
        split_train_validation(single, features_params)


def test_more_folds_than_a_class_has_is_one_sentence(labelled):
    from pirate_pain.modeling.data import stratified_folds
    from tests.modeling.test_training_options import _data

    data = _data()  # 30 sequences, 5 of class 'c': 10 once train + validation pool
    with pytest.raises(UserInputError, match="Class 'c' has 10 labelled sequence"):
        next(stratified_folds(data, data, 11, seed=0))
    assert len(list(stratified_folds(data, data, 10, seed=0))) == 10

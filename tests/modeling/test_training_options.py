"""Each training option changes what runs; config errors name the parameter."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pirate_pain.errors import UserInputError
from pirate_pain.fanout import FanoutParams
from pirate_pain.modeling.batches import augment, epoch_order, make_batches
from pirate_pain.modeling.config import (
    AugmentationConfig,
    LossConfig,
    TrainConfig,
    WindowConfig,
)
from pirate_pain.modeling.data import concat_model_inputs
from pirate_pain.modeling.losses import SequenceLoss, class_weights, weight_penalty
from pirate_pain.modeling.training import fit, predict_proba
from pirate_pain.pipelines.train.nodes import cross_validate
from tests.model_inputs import model_input as _data

ONE = FanoutParams(workers=1)  # fold after fold in this process
BASE = {
    "epochs": 2,
    "batch_size": 8,
    "progress_bar": False,
    "model": {"hidden_size": 6, "num_layers": 1, "dropout": 0.0},
}


def _config(**overrides) -> TrainConfig:
    params = {**BASE, **overrides}
    for key in ("model",):
        params[key] = {**BASE[key], **overrides.get(key, {})}
    return TrainConfig.from_params(params)


def _history(**overrides) -> list[dict]:
    data = _data()
    return fit(data, _data(seed=1), _config(**overrides)).history


def test_same_seed_same_history_and_other_seed_differs():
    assert _strip_time(_history()) == _strip_time(_history())
    assert _strip_time(_history(seed=1)) != _strip_time(_history(seed=2))


def _strip_time(history):
    return [{k: v for k, v in h.items() if k != "seconds"} for h in history]


@pytest.mark.parametrize(
    "override",
    [
        {"optimizer": {"l1": 0.01}},
        {"optimizer": {"l2": 0.01}},
        {"optimizer": {"weight_decay": 0.5}},
        {"gradient_clip": 0.001},
        {"loss": {"label_smoothing": 0.3}},
        {"loss": {"focal_gamma": 2.0}},
        {"loss": {"class_weights": "none"}},
        {"loss": {"class_weights": [1.0, 5.0, 1.0]}},
        {"sampling": {"method": "weighted_sampler"}},
        {"sampling": {"method": "replicate"}},
        {"window": {"length": 4, "stride": 2}},
        {"model": {"head": "attention"}},
        {"model": {"conv_channels": 4}},
    ],
)
def test_option_changes_training(override):
    assert _strip_time(_history(**override)) != _strip_time(_history())


@pytest.mark.parametrize("name", ["cosine", "plateau", "onecycle"])
def test_scheduler_changes_learning_rate(name):
    scheduler = {"name": name, "plateau_patience": 0}
    rates = [h["learning_rate"] for h in _history(scheduler=scheduler, epochs=5)]
    assert rates != [0.001] * 5


@pytest.mark.parametrize("name", ["none", "cosine"])
def test_warmup_ramps_the_learning_rate_up_linearly(name):
    scheduler = {"name": name, "warmup_epochs": 3}
    rates = [h["learning_rate"] for h in _history(scheduler=scheduler, epochs=6)]
    assert rates[:4] == pytest.approx([0.00025, 0.0005, 0.00075, 0.001])


def test_early_stopping_restores_best_weights():
    data, val = _data(), _data(seed=1)
    result = fit(
        data, val, _config(epochs=30, patience=2, optimizer={"learning_rate": 0.05})
    )
    scores = [h["val_macro_f1"] for h in result.history]
    assert len(scores) < 30
    assert result.best_val_macro_f1 == max(scores)
    batches = make_batches(val, WindowConfig())
    probs = predict_proba(result.model, batches)
    from sklearn.metrics import f1_score

    assert f1_score(val["y"], probs.argmax(1), average="macro") == pytest.approx(
        max(scores)
    )


def test_class_weights_modes():
    labels = np.array([0] * 80 + [1] * 15 + [2] * 5)
    inverse = class_weights(labels, 3, LossConfig(class_weights="inverse"))
    np.testing.assert_allclose(inverse / inverse[0], [1, 80 / 15, 16])
    effective = class_weights(
        labels, 3, LossConfig(class_weights="effective", effective_beta=0.9)
    )
    assert effective[2] > effective[1] > effective[0]
    assert np.allclose(class_weights(labels, 3, LossConfig(class_weights="none")), 1)


def test_focal_loss_down_weights_easy_samples():
    logits = torch.tensor([[4.0, 0.0, 0.0], [0.0, 0.5, 0.0]])
    target = torch.tensor([0, 1])
    plain = SequenceLoss(np.ones(3), LossConfig())
    focal = SequenceLoss(np.ones(3), LossConfig(focal_gamma=2.0))
    assert focal(logits, target) < plain(logits, target)
    alpha = SequenceLoss(
        np.ones(3), LossConfig(focal_gamma=0.0, focal_alpha=[1.0, 3.0, 1.0])
    )
    assert alpha(logits, target) > plain(logits, target)


def test_weight_penalty_counts_matrices_only():
    layer = torch.nn.Linear(2, 2)
    with torch.no_grad():
        layer.weight.fill_(0.5)
        layer.bias.fill_(10.0)
    assert weight_penalty(layer, l1=1.0, l2=0.0).item() == pytest.approx(2.0)
    assert weight_penalty(layer, l1=0.0, l2=1.0).item() == pytest.approx(1.0)


@pytest.mark.parametrize("method", ["weighted_sampler", "replicate"])
def test_oversampling_balances_classes(method):
    batches = make_batches(_data(n=60), WindowConfig())
    order = epoch_order(batches, method, 3, torch.Generator().manual_seed(0))
    counts = np.bincount(batches.y[order].numpy(), minlength=3)
    assert counts.min() / counts.max() > (0.6 if method == "weighted_sampler" else 0.99)
    plain = epoch_order(batches, "none", 3, torch.Generator().manual_seed(0))
    assert sorted(plain.tolist()) == list(range(60))


def test_windows_respect_true_lengths_and_aggregate():
    data = _data(n=6, steps=10, ragged=True)
    data["lengths"] = np.array([10, 7, 4, 3, 10, 9])
    batches = make_batches(data, WindowConfig(length=4, stride=3))
    per_sequence = np.bincount(batches.parent)
    # 10 -> starts 0,3,6; 7 -> 0,3; 4 -> 0; 3 -> one short window; 9 -> 0,3,5
    assert per_sequence.tolist() == [3, 2, 1, 1, 3, 3]
    assert batches.lengths.tolist()[6] == 3
    assert torch.all(batches.x[6, 3:] == 0)
    result = fit(data, data, _config(window={"length": 4, "stride": 3}))
    probs = predict_proba(result.model, batches)
    assert probs.shape == (6, 3)
    np.testing.assert_allclose(probs.sum(1), 1, rtol=1e-5)


def test_ragged_sequences_train_and_predict_untruncated():
    data = _data(ragged=True)
    result = fit(data, data, _config())
    probs = predict_proba(result.model, make_batches(data, WindowConfig()))
    assert probs.shape == (30, 3)
    full = int(np.flatnonzero(data["lengths"] == data["x"].shape[1])[0])
    longer = dict(data)
    longer["x"] = data["x"].copy()
    longer["x"][full, -1] += 50.0  # the last real step of a full-length sequence
    changed = predict_proba(result.model, make_batches(longer, WindowConfig()))
    assert not np.allclose(changed[full], probs[full])  # the last step is read
    assert np.allclose(np.delete(changed, full, 0), np.delete(probs, full, 0))


def test_cross_validation_keeps_fold_models():
    params = _config(cross_validation={"folds": 3})
    models, summary = cross_validate(_data(), _data(seed=1), {"kept": []}, params, ONE)
    assert len(models["models"]) == 3 and len(summary["folds"]) == 3
    f1s = [f["macro_f1"] for f in summary["folds"]]
    assert summary["macro_f1_mean"] == pytest.approx(np.mean(f1s))
    assert summary["macro_f1_std"] == pytest.approx(np.std(f1s))
    off, disabled = cross_validate(_data(), _data(seed=1), {}, _config(), ONE)
    assert off == {"models": []} and disabled == {"enabled": False}


def test_fold_models_never_see_the_fold_they_score(monkeypatch):
    """Early stopping uses part of the fold's training rows; the scored fold's
    predictions (the calibration rows) come from a fit that never saw them."""
    import pirate_pain.pipelines.train.nodes as nodes

    seen, original = [], nodes.fit

    def recording(train, validation, config, **kwargs):
        seen.append({str(s) for s in [*train["sample_ids"], *validation["sample_ids"]]})
        return original(train, validation, config, **kwargs)

    monkeypatch.setattr(nodes, "fit", recording)
    validation = _data(seed=1)
    validation["sample_ids"] = np.array([f"v{i}" for i in range(30)])
    config = _config(cross_validation={"folds": 3})
    models, _ = cross_validate(_data(), validation, {"kept": []}, config, ONE)
    held = models["held_out"]
    assert sorted(held["sample_ids"]) == sorted(
        {*_data()["sample_ids"], *validation["sample_ids"]}
    )
    scored = np.array_split(np.asarray(held["sample_ids"]), 3)  # fold after fold
    for fitted_on, fold in zip(seen, scored, strict=True):
        assert not fitted_on & set(fold) and len(fitted_on) == 60 - len(fold)


@pytest.mark.parametrize(
    "params, message",
    [
        (
            {"model": {"cell": "tcn"}},
            "train.model.cell is 'tcn': choose one of rnn, lstm, gru, none.",
        ),
        (
            {"model": {"hiden_size": 3}},
            "train.model.hiden_size is not a known parameter",
        ),
        (
            {"model": {"dropout": 1.5}},
            "train.model.dropout is 1.5: input should be less than 1.",
        ),
        (
            {"scheduler": {"name": "step"}},
            "train.scheduler.name is 'step': choose one of none, cosine, plateau, "
            "onecycle.",
        ),
        (
            {"sampling": {"method": "smote"}},
            "train.sampling.method is 'smote': choose one of none, weighted_sampler, "
            "replicate.",
        ),
        (
            {"loss": {"class_weights": "balanced"}},
            "train.loss.class_weights is 'balanced': choose one of none, inverse, "
            "effective",
        ),
        (
            {"epochs": "ten"},
            "train.epochs is 'ten': input should be a valid integer",
        ),
        ({"model": {"conv_kernel_size": 4}}, "an odd number"),
        (
            {"model": {"cell": "none", "conv_channels": 0}},
            "train.model.conv_channels is 0: use > 0 when model.cell is 'none'",
        ),
        ({"cross_validation": {"folds": 1}}, "train.cross_validation.folds is 1"),
        (
            {"scheduler": {"name": "plateau", "warmup_epochs": 2}},
            "train: scheduler.warmup_epochs works with scheduler.name none or cosine",
        ),
        (
            {"model": {"conv_pool": 2}},
            "train: model.conv_pool pools the Conv1D front end",
        ),
        (
            {"augmentation": {"jitter_std": -0.1}},
            "train.augmentation.jitter_std is -0.1: input should be greater than or "
            "equal to 0.",
        ),
    ],
)
def test_invalid_parameters_are_named(params, message):
    with pytest.raises(UserInputError) as info:
        TrainConfig.from_params(params)
    assert message in str(info.value)


def test_class_weight_list_must_match_classes():
    with pytest.raises(UserInputError, match="give one per class \\(3\\)"):
        fit(_data(), None, _config(loss={"class_weights": [1.0, 2.0]}))


def test_augmentation_touches_true_steps_only_and_is_seeded():
    x = torch.ones(2, 6, 3)
    x[0, 4:] = 0
    lengths = torch.tensor([4, 6])
    generator = torch.Generator().manual_seed(0)
    config = AugmentationConfig(jitter_std=0.1, scale_std=0.2)
    out = augment(x, lengths, config, generator)
    assert torch.all(out[0, 4:] == 0)  # padding stays zero
    assert not torch.allclose(out[:, :4], x[:, :4])
    assert augment(x, lengths, AugmentationConfig(), generator) is x  # off
    augmented = _strip_time(_history(augmentation={"jitter_std": 0.3}))
    assert augmented != _strip_time(_history())
    assert augmented == _strip_time(_history(augmentation={"jitter_std": 0.3}))


def test_fit_on_validation_trains_on_both_splits_for_all_epochs():
    train, validation = _data(), _data(seed=1)
    config = _config(epochs=3, patience=1, fit_on_validation=True)
    result = fit(train, validation, config)
    assert len(result.history) == 3 and result.best_epoch == 3
    assert "val_macro_f1" not in result.history[0]
    pooled = fit(concat_model_inputs(train, validation), None, config)
    assert _strip_time(result.history) == _strip_time(pooled.history)
    assert _strip_time(result.history) != _strip_time(fit(train, None, config).history)


def test_fold_models_hold_out_even_with_fit_on_validation():
    params = {**BASE, "fit_on_validation": True, "cross_validation": {"folds": 2}}
    config = TrainConfig.from_params(params)
    models, summary = cross_validate(_data(), _data(seed=1), {}, config, ONE)
    assert summary["enabled"] and len(summary["folds"]) == 2
    assert all(not m["train_config"]["fit_on_validation"] for m in models["models"])


@pytest.mark.parametrize("rule", ["macro_f1", "loss", "smoothed_macro_f1"])
def test_early_stopping_keeps_the_best_epoch_of_the_chosen_score(rule):
    config = _config(epochs=6, patience=10, early_stopping=rule, smoothing_window=2)
    result = fit(_data(), _data(seed=1), config)
    f1 = np.array([h["val_macro_f1"] for h in result.history])
    loss = np.array([h["val_loss"] for h in result.history])
    if rule == "loss":
        score = -loss
    elif rule == "smoothed_macro_f1":
        score = np.array([f1[max(0, i - 1) : i + 1].mean() for i in range(len(f1))])
    else:
        score = f1
    best = max(range(len(score)), key=lambda i: (round(score[i], 9), -loss[i]))
    assert result.best_epoch == best + 1
    assert result.best_val_macro_f1 == pytest.approx(f1[best])


@pytest.mark.parametrize(
    ("n", "min_batches", "steps"), [(30, 1, 4), (30, 6, 6), (4, 8, 4)]
)
def test_min_batches_shrinks_the_batch_on_small_data(
    monkeypatch, n, min_batches, steps
):
    """batch_size 8: 30 sequences take 4 steps an epoch; min_batches 6 shrinks the
    batch to 5 (6 steps); 4 sequences cannot give more than 4 steps."""
    calls = []
    original = torch.optim.AdamW.step
    monkeypatch.setattr(
        torch.optim.AdamW,
        "step",
        lambda self, *a, **k: calls.append(1) or original(self, *a, **k),
    )
    config = TrainConfig.from_params({**BASE, "epochs": 1, "min_batches": min_batches})
    fit(_data(n=n), None, config)
    assert len(calls) == steps

"""ROCKET-family members: aeon's predictions with probabilities, files that load
without running code, and no side effects on torch."""

from __future__ import annotations

import numpy as np
import pytest
import skops.io
import torch

from pirate_pain.baselines import minirocket_predict
from pirate_pain.datasets import TorchModelDataset
from pirate_pain.errors import UserInputError
from pirate_pain.modeling.artifacts import build_artifact
from pirate_pain.modeling.config import TrainConfig
from pirate_pain.modeling.predict import model_probabilities, vote
from pirate_pain.modeling.training import fit
from tests.model_inputs import model_input

KINDS = ["minirocket", "multirocket_hydra", "quant", "rdst"]


def _config(kind: str, **extra) -> TrainConfig:
    return TrainConfig.from_params({"seed": 3, "model": {"backbone": kind}, **extra})


def _shaped(n: int, seed: int) -> dict:
    """Class k also oscillates k + 1 times on channel 1: a shape ROCKET sees."""
    data = model_input(n=n, steps=20, seed=seed)
    t = np.arange(20) / 20
    data["x"][:, :, 1] += 2 * np.sin(2 * np.pi * (data["y"][:, None] + 1) * t)
    return data


@pytest.fixture(scope="module")
def data() -> tuple[dict, dict]:
    return _shaped(36, seed=0), _shaped(30, seed=1)


@pytest.mark.parametrize("kind", KINDS)
def test_member_predicts_what_aeon_predicts_and_survives_a_safe_file(
    kind, data, tmp_path
):
    train, test = data
    threads, rng = torch.get_num_threads(), torch.random.get_rng_state()
    fitted = fit(train, None, _config(kind))
    assert torch.get_num_threads() == threads  # Hydra's settings put back
    assert torch.equal(torch.random.get_rng_state(), rng)
    probs = fitted.probabilities(test)
    assert probs.shape == (30, 3)
    np.testing.assert_allclose(probs.sum(1), 1.0, rtol=1e-6)
    # calibrated, not one-hot; RDST's 30,000 shapelet features separate these
    # rows in every cross-validation fold, so its temperature sharpens to near 1
    assert 0.34 < probs.max(1).mean() < (1.0 if kind != "rdst" else 1.0 + 1e-9)
    aeon_labels, _, _ = minirocket_predict(train, test, 3, kind)
    np.testing.assert_array_equal(probs.argmax(1), aeon_labels)
    majority = np.bincount(test["y"]).max() / len(test["y"])  # 0.5
    assert (probs.argmax(1) == test["y"]).mean() > majority + 0.3

    dataset = TorchModelDataset(filepath=str(tmp_path / "member.pt"))
    dataset.save(build_artifact(fitted, _config(kind), {"class_names": ["a"]}))
    loaded = dataset.load()  # torch.load(weights_only=True): no code runs
    assert loaded["format"] == "pirate_pain.rocket/1"
    np.testing.assert_array_equal(model_probabilities(loaded, test), probs)


def test_hydra_kernels_other_than_the_trained_ones_are_one_sentence(data):
    """Hydra is stored as its seed and shape and refitted on load; a probe of its
    features catches kernels another torch would draw differently."""
    config = _config("multirocket_hydra")
    artifact = build_artifact(fit(data[0], None, config), config, {})
    assert "W" not in artifact["hydra"]  # kernels are drawn again, not stored
    artifact["hydra"]["probe"] = artifact["hydra"]["probe"] + 1e-3
    with pytest.raises(UserInputError, match="Hydra's kernels drawn from seed 3"):
        model_probabilities(artifact, data[1])


class Payload:
    """Stands for any type a member file should not construct."""


def test_a_member_holding_an_untrusted_type_is_refused(data):
    artifact = build_artifact(
        fit(data[0], None, _config("minirocket")), _config("minirocket"), {}
    )
    artifact["parts"] = skops.io.dumps({"classifier": Payload()})
    with pytest.raises(
        UserInputError,
        match=r"does not trust \(tests.modeling.test_rocket.Payload\): retrain",
    ):
        model_probabilities(artifact, data[1])


def test_rocket_and_network_members_vote_together(data):
    train, test = data
    network = _config("minirocket").with_overrides(
        {
            "model": {"backbone": "recurrent", "hidden_size": 8, "num_layers": 1},
            "epochs": 2,
            "progress_bar": False,
        }
    )
    members = [
        build_artifact(fit(train, None, cfg), cfg, {})
        for cfg in (_config("minirocket"), network)
    ]
    probs = [model_probabilities(m, test) for m in members]
    labels, mean = vote(probs, "soft", [0, 1], [2.0, 1.0])
    np.testing.assert_allclose(mean, (2 * probs[0] + probs[1]) / 3)
    np.testing.assert_array_equal(labels, mean.argmax(1))


def test_rare_and_absent_classes_still_give_every_class_column(data, caplog):
    """A fold's training rows may hold one sequence of a class, or none: the member
    still fits and answers one probability column per class."""
    train, test = data
    one = dict(train, y=train["y"].copy())
    one["y"][one["y"] == 2] = 1
    one["y"][-1] = 2  # class c: one sequence
    fitted = fit(one, None, _config("minirocket"))
    probs = fitted.probabilities(test)
    assert probs.shape == (30, 3) and "calibrated on the training rows" in caplog.text
    artifact = build_artifact(fitted, _config("minirocket"), {})  # trusted types only
    np.testing.assert_array_equal(model_probabilities(artifact, test), probs)
    none = dict(train, y=np.where(train["y"] == 2, 1, train["y"]))  # class c: none
    probs = fit(none, None, _config("multirocket_hydra")).probabilities(test)
    assert probs.shape == (30, 3) and (probs[:, 2] == 0).all()
    np.testing.assert_allclose(probs.sum(1), 1.0, rtol=1e-6)


def test_a_decision_rule_is_fitted_on_held_out_rows_and_stored(data, tmp_path):
    train, held_out = data
    config = _config("minirocket", decision_rule="macro_f1")
    fitted = fit(train, held_out, config)
    assert fitted.decision["fitted_on"] == list(held_out["sample_ids"])
    artifact = build_artifact(fitted, config, {})
    np.testing.assert_allclose(
        model_probabilities(artifact, held_out), fitted.probabilities(held_out)
    )
    own = model_probabilities(artifact, held_out, decision=False)
    np.testing.assert_allclose(own, fitted.probabilities(held_out, decision=False))


def test_quant_member_gives_aeon_quant_probabilities(data):
    """QUANT's head is aeon's forest, seeded as aeon seeds it: the same vote
    fractions, not only the same labels."""
    from aeon.classification.interval_based import QUANTClassifier

    from pirate_pain.modeling.rocket import channels_first

    train, test = data
    probs = fit(train, None, _config("quant")).probabilities(test)
    aeon = QUANTClassifier(random_state=3).fit(
        channels_first(train["x"], 20), train["y"]
    )
    np.testing.assert_allclose(probs, aeon.predict_proba(channels_first(test["x"], 20)))

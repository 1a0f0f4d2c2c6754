"""One check suite for every classifier family behind ``classifier.Classifier``:
the interface, padding invariance, the safe artifact round trip and the same
answer after reload (as aeon runs one suite against every estimator)."""

from __future__ import annotations

import numpy as np
import pytest

from pirate_pain.datasets import TorchModelDataset
from pirate_pain.errors import UserInputError
from pirate_pain.modeling.classifier import Classifier, from_artifact
from pirate_pain.modeling.config import TrainConfig
from pirate_pain.modeling.training import fit
from tests.model_inputs import model_input

FAMILIES = {
    "network": {"epochs": 2, "model": {"hidden_size": 8, "num_layers": 1}},
    "fcn": {"epochs": 2, "model": {"cell": "none", "conv_channels": 8}},
    "minirocket": {"model": {"backbone": "minirocket"}},
    "multirocket_hydra": {"model": {"backbone": "multirocket_hydra"}},
    "quant": {"model": {"backbone": "quant"}},
    "rdst": {"model": {"backbone": "rdst"}},
}


def _config(family: str) -> TrainConfig:
    base = {"seed": 3, "batch_size": 8, "progress_bar": False}
    return TrainConfig.from_params(base).with_overrides(FAMILIES[family])


@pytest.fixture(scope="module")
def fitted() -> dict:
    train = model_input(n=30, steps=16, seed=0, ragged=True)
    return {family: fit(train, None, _config(family)) for family in FAMILIES}


@pytest.fixture(scope="module")
def test_input() -> dict:
    return model_input(n=12, steps=16, seed=1, ragged=True)


@pytest.mark.parametrize("family", list(FAMILIES))
def test_every_family_is_a_classifier_with_a_history(fitted, test_input, family):
    model = fitted[family]
    assert isinstance(model, Classifier)
    assert model.history and model.best_epoch >= 1
    probs = model.probabilities(test_input)
    assert probs.shape == (12, 3)
    np.testing.assert_allclose(probs.sum(1), 1.0, rtol=1e-5)


@pytest.mark.parametrize("family", list(FAMILIES))
def test_padding_after_the_true_steps_changes_nothing(fitted, test_input, family):
    padded = dict(test_input)
    padded["x"] = np.pad(test_input["x"], ((0, 0), (0, 7), (0, 0)))
    model = fitted[family]
    np.testing.assert_allclose(
        model.probabilities(padded), model.probabilities(test_input), atol=1e-5
    )


@pytest.mark.parametrize("family", list(FAMILIES))
def test_the_safe_artifact_round_trip_gives_the_same_answer(
    fitted, test_input, family, tmp_path
):
    model = fitted[family]
    artifact = model.to_artifact(_config(family), {"class_names": ["a", "b", "c"]})
    assert len(artifact["model_id"]) == 12
    dataset = TorchModelDataset(filepath=str(tmp_path / "model.pt"))
    dataset.save(artifact)
    reloaded = from_artifact(dataset.load())  # torch.load(weights_only=True)
    assert isinstance(reloaded, Classifier)
    np.testing.assert_array_equal(
        reloaded.probabilities(test_input), model.probabilities(test_input)
    )
    assert reloaded.history == model.history


def test_an_artifact_of_no_known_family_is_one_sentence():
    with pytest.raises(UserInputError, match="not written by this project version"):
        from_artifact({"format": "someone.else/1"})

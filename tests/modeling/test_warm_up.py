"""``kedro warm-up``: every ROCKET-family member fitted once per channel layout, so
numba's on-disk cache holds the kernels the pipelines need."""

from __future__ import annotations

from pirate_pain.modeling import warm_up as warm_up_module
from pirate_pain.modeling.config import ROCKET_KINDS
from tests.conftest import REPO, kedro_cli


def test_warm_up_fits_each_member_on_one_and_four_channels(monkeypatch):
    fitted = []
    real_fit = warm_up_module.fit

    def recording_fit(train, validation, config):
        fitted.append((config.model.backbone, train["x"].shape[2]))
        return real_fit(train, validation, config)

    monkeypatch.setattr(warm_up_module, "fit", recording_fit)
    seconds = warm_up_module.warm_up(("quant",))
    assert list(seconds) == ["quant"] and seconds["quant"] > 0
    assert fitted == [("quant", 1), ("quant", 4)]


def test_the_warm_up_command_names_every_member_and_its_seconds(monkeypatch):
    # the fits themselves: the test above and `kedro warm-up` in `.ci/run`
    fitted = []

    class Fitted:
        def probabilities(self, data):
            return data["x"][:, 0, :1]

    def recording_fit(train, validation, config):
        fitted.append(train["x"].shape[2])
        return Fitted()

    monkeypatch.setattr(warm_up_module, "fit", recording_fit)
    result = kedro_cli(REPO, "warm-up")
    assert result.returncode == 0, result.stderr[-2000:]
    assert fitted == [1, 4] * len(ROCKET_KINDS)
    lines = [line for line in result.stdout.splitlines() if line.endswith(" s")]
    assert [line.split(":")[0] for line in lines] == list(ROCKET_KINDS)

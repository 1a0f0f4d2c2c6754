"""Every shipped environment's parameters pass the same checks a run applies."""

from __future__ import annotations

from pathlib import Path

import pytest
from kedro.config import OmegaConfigLoader

from pirate_pain.baselines import check_baselines
from pirate_pain.modeling.config import TrainConfig, merge_overrides
from pirate_pain.pipelines.ensemble.nodes import member_names, member_parameters

CONF = Path(__file__).resolve().parents[2] / "conf"
ENVS = sorted(p.name for p in CONF.iterdir() if p.is_dir() and p.name != "base")


@pytest.mark.parametrize("env", ["base", *ENVS])
def test_train_benchmark_and_ensemble_blocks_are_valid(env):
    loader = OmegaConfigLoader(
        str(CONF),
        base_env="base",
        default_run_env="base" if env == "base" else env,
        merge_strategy={"globals": "soft"},
    )
    params = loader["parameters"]
    TrainConfig.from_params(params["train"])
    for name, overrides in params["benchmark"]["models"].items():
        TrainConfig.from_params(
            merge_overrides(params["train"], overrides or {}),
            prefix=f"benchmark.models.{name}",
        )
    check_baselines(params["benchmark"].get("baselines") or [], "benchmark.baselines")
    ensemble = params["ensemble"]
    for name in ensemble["members"]:
        member_parameters(params["train"], ensemble, name, seed=1)
    assert len(member_names(ensemble)) >= 2

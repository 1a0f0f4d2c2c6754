"""Every shipped environment resolves, with Kedro's own loader and the project's
settings, to parameters that pass the checks a run applies."""

from __future__ import annotations

from pathlib import Path

import pytest

from pirate_pain import settings
from pirate_pain.modeling.config import ROCKET_KINDS
from pirate_pain.parameters import check_data_source, check_parameters

CONF = Path(__file__).resolve().parents[2] / "conf"
ENVS = sorted(p.name for p in CONF.iterdir() if p.is_dir() and p.name != "base")


def _loader(env: str):
    return settings.CONFIG_LOADER_CLASS(
        conf_source=str(CONF), env=env, **settings.CONFIG_LOADER_ARGS
    )


@pytest.mark.parametrize("env", ENVS)
def test_every_environment_passes_the_run_checks(env):
    loader = _loader(env)
    typed = check_parameters(loader["parameters"])
    check_data_source(loader["globals"])
    assert len(typed["ensemble"].member_names()) >= 2


def test_environments_merge_into_base_and_replace_lists():
    base = _loader("local")["parameters"]
    vowels = _loader("japanese_vowels")["parameters"]
    # only three values of the train block differ; the rest comes from base
    changed = {k for k in base["train"] if base["train"][k] != vowels["train"][k]}
    assert changed == {"batch_size", "epochs", "patience"}
    assert vowels["train"]["model"] == base["train"]["model"]
    # lists are replaced whole: the base members and scaling groups are gone
    assert vowels["ensemble"]["members"] == ["fcn", "conv_gru", "conv_lstm"]
    assert [g["name"] for g in vowels["features"]["scaling_groups"]] == ["channels"]
    typed = check_parameters(vowels)
    assert typed["ensemble"].member_names()[:3] == [
        "fcn_seed1",
        "fcn_seed2",
        "fcn_seed3",
    ]


@pytest.mark.parametrize(
    "env",
    [
        "japanese_vowels",
        "basic_motions",
        "imbalance",
        "arrow_head",
        "gun_point",
        "italy_power_demand",
    ],
)
def test_shipped_environment_files_hold_only_their_differences(env):
    lines = [
        line
        for path in (CONF / env).glob("*.yml")
        for line in path.read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert len(lines) < 45, f"conf/{env} has {len(lines)} lines of settings"


SUITE = ["japanese_vowels", "basic_motions", "arrow_head", "gun_point"]
SUITE += ["italy_power_demand", "covid3month", "pickup_gesture", "osu_leaf", "acsf1"]
UNUSED_BY_ROCKET = {"batch_size", "epochs", "patience", "min_batches"}


@pytest.mark.parametrize("env", SUITE)
def test_the_public_suite_runs_the_shipped_candidates_untuned(env):
    """Every suite environment selects from base's select block with base's
    candidate configurations: an environment's train block reaches a candidate
    only in keys the candidate does not use."""
    from pirate_pain.parameters import candidate_config

    base = check_parameters(_loader("local")["parameters"])
    params = _loader(env)["parameters"]
    here = check_parameters(params)
    assert here["select"] == base["select"]
    base_candidates = _loader("local")["parameters"]["candidates"]
    for name in base["select"].candidates:
        mine = candidate_config(here["train"], params["candidates"], name, name)
        shipped = candidate_config(base["train"], base_candidates, name, name)
        rocket = mine.model.backbone in ROCKET_KINDS
        ignored = UNUSED_BY_ROCKET if rocket else set()
        assert mine.model_dump(exclude=ignored) == shipped.model_dump(exclude=ignored)


def test_local_credentials_follow_every_environment(tmp_path):
    import shutil

    conf = tmp_path / "conf"
    shutil.copytree(CONF, conf, ignore=shutil.ignore_patterns("local"))
    (conf / "local").mkdir()
    url = "mysql+pymysql://tuner:p@ss@db:3306/optuna"
    (conf / "local" / "credentials.yml").write_text(f"optuna_storage:\n  url: {url}\n")
    for env in (None, "local", "challenge", "japanese_vowels"):
        loader = settings.CONFIG_LOADER_CLASS(
            conf_source=str(conf), env=env, **settings.CONFIG_LOADER_ARGS
        )
        assert loader["credentials"]["optuna_storage"]["url"] == url, env
    # an environment's own credentials win over local ones
    (conf / "challenge" / "credentials.yml").write_text(
        "optuna_storage:\n  url: sqlite:///x.db\n"
    )
    loader = settings.CONFIG_LOADER_CLASS(
        conf_source=str(conf), env="challenge", **settings.CONFIG_LOADER_ARGS
    )
    assert loader["credentials"]["optuna_storage"]["url"] == "sqlite:///x.db"

"""The configuration Kedro resolves decides every pipeline, and every block is
checked before the first node: through the real CLI and through a KedroSession."""

from __future__ import annotations

import pytest
import yaml

from pirate_pain.errors import find_user_error
from tests.conftest import kedro_cli, make_project, run_pipeline


def _project(path, globals_=None):
    from kedro.framework.startup import bootstrap_project

    root = make_project(path, globals_)
    bootstrap_project(root)
    return root


def _files_under(root) -> list[str]:
    """Output files (the tracking store records refused runs too, by design)."""
    return sorted(
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() and "09_tracking" not in p.parts
    )


@pytest.fixture(scope="module")
def cli_project(tmp_path_factory):
    return make_project(tmp_path_factory.mktemp("cli") / "project")


@pytest.mark.slow
def test_members_follow_env_and_params_on_the_command_line(cli_project):
    root = cli_project
    # --env: the JapaneseVowels members exist, the base ones do not
    vowels = kedro_cli(
        root,
        "run",
        "--pipeline=ensemble",
        "--env=japanese_vowels",
        "--nodes=fcn_seed3.member_parameters_node",
    )
    assert vowels.returncode == 0, vowels.stderr[-2000:]
    base_member = kedro_cli(
        root,
        "run",
        "--pipeline=ensemble",
        "--env=japanese_vowels",
        "--nodes=bigru_seed1.member_parameters_node",
    )
    assert base_member.returncode != 0
    # --params changes the members' seeds (and so the pipeline's nodes)
    seeds = kedro_cli(
        root,
        "run",
        "--pipeline=ensemble",
        "--params=ensemble.seeds=[7]",
        "--nodes=bigru_seed7.member_parameters_node",
    )
    assert seeds.returncode == 0, seeds.stderr[-2000:]
    # a member that is not a candidate is one sentence naming it
    unknown = kedro_cli(
        root, "run", "--pipeline=ensemble", "--params=ensemble.members=[bigruu]"
    )
    assert unknown.returncode == 1
    last = unknown.stderr.strip().splitlines()[-1]
    assert last.startswith(
        "Error: ensemble.members names 'bigruu', which is not a candidate (did you "
        "mean 'bigru'?): use one of auto_fcn, auto_gru, auto_inception, "
    )
    assert last.endswith(", resnet or add it under candidates.") and "bigru," in last
    typo = kedro_cli(root, "run", "--params=feature.validation_fraction=0.5")
    assert typo.returncode == 1 and "Traceback" not in typo.stderr
    assert "--params sets 'feature.validation_fraction', which is not a parameter" in (
        typo.stderr
    )
    assert "did you mean 'features'?" in typo.stderr
    assert not (root / "data" / "01_raw").exists()  # nothing ran, nothing written


BAD_VALUES = [
    ("ingestion", {"unequal_lengths": "truncate"}, "ingestion.unequal_lengths is"),
    ("features", {"validation_fraction": 1.5}, "features.validation_fraction is 1.5"),
    ("train", {"model": {"cell": "tcn"}}, "train.model.cell is 'tcn'"),
    ("train", {"model": {"hiden_size": 3}}, "train.model.hiden_size is not a known"),
    ("candidates", {"bilstm": {"model": {"cell": "tcn"}}}, "candidates.bilstm.model"),
    ("ensemble", {"vote": "majority"}, "ensemble.vote is 'majority'"),
    ("ensemble", {"members": ["bilstm"]}, "ensemble has 1 member(s) (bilstm_seed1)"),
    ("ensemble", {"member_seeds": {"gru": [1]}}, "'gru' is not in ensemble.members"),
    ("benchmark", {"models": ["tcn"]}, "benchmark.models names 'tcn'"),
    ("benchmark", {"baselines": ["rocket"]}, "benchmark.baselines.0 is 'rocket'"),
    ("tune", {"n_trials": 0}, "tune.n_trials is 0"),
    (
        "tune",
        {"search_space": {"model.size": {"type": "int", "low": 1, "high": 2}}},
        "tune.search_space.model.size is not a known parameter",
    ),
    ("tune", {"fixed": {"epochs": -1}}, "tune.fixed.epochs is -1"),
    ("inference", {"predictor": "best_model"}, "inference.predictor is 'best_model'"),
    ("trian", {"epochs": 3}, "'trian' is not a parameter block: did you mean 'train'?"),
]


@pytest.mark.parametrize("block, value, message", BAD_VALUES)
def test_a_bad_value_in_any_block_stops_before_the_first_node(
    tmp_path, block, value, message
):
    root = _project(tmp_path / "project")
    with open(root / "conf/local/parameters.yml", "w") as handle:
        yaml.safe_dump({block: value}, handle)
    before = _files_under(root / "data")
    with pytest.raises(Exception) as info:
        run_pipeline(root, "train")
    error = find_user_error(info.value)
    assert error is not None, info.value
    assert message in str(error)
    assert _files_under(root / "data") == before


@pytest.mark.parametrize(
    "globals_, message",
    [
        ({"data_source": "syntetic"}, "globals.data_source is 'syntetic'"),
        ({"raw_dirr": "x"}, "globals.raw_dirr is not a known parameter"),
    ],
)
def test_a_broken_globals_file_is_an_error_not_a_default(tmp_path, globals_, message):
    root = _project(tmp_path / "project", globals_)
    with pytest.raises(Exception) as info:
        run_pipeline(root, "train")
    assert message in str(find_user_error(info.value))


def test_unreadable_yaml_names_the_file(tmp_path):
    root = _project(tmp_path / "project")
    (root / "conf/local/parameters.yml").write_text("train:\n\tepochs: 3\n")
    with pytest.raises(Exception) as info:
        run_pipeline(root, "train")
    message = str(find_user_error(info.value))
    assert "The parameters configuration cannot be read" in message
    assert "conf/local/parameters.yml" in message


@pytest.mark.skipif(
    __import__("torch").cuda.is_available(), reason="this machine has CUDA"
)
def test_an_absent_device_stops_the_run_before_the_first_node(tmp_path):
    root = _project(tmp_path / "project")
    before = _files_under(root / "data")
    with pytest.raises(Exception) as info:
        run_pipeline(root, "train", {"train": {"device": "cuda"}})
    assert str(find_user_error(info.value)) == (
        "train.device is 'cuda' but this machine has no CUDA device: use auto or cpu."
    )
    assert _files_under(root / "data") == before


@pytest.mark.slow
@pytest.mark.parametrize(
    "args, sentence",
    [
        (
            ["--pipeline=trian"],
            "Error: There is no pipeline 'trian': did you mean 'train'?",
        ),
        (["--env=prod"], "Error: There is no environment 'prod'"),
        (
            ["--pipeline=train", "--nodes=fit_model_node"],
            "Error: The pipeline has no node named 'fit_model_node'",
        ),
        (
            ["--pipeline=train", "--from-nodes=fit_model_node"],
            "Error: The pipeline has no node named 'fit_model_node'",
        ),
        (
            [
                "--pipeline=train",
                "--load-versions=trained_modle:2020-01-01T00.00.00.000Z",
            ],
            "Error: --load-versions names trained_modle, which is not a dataset",
        ),
        (["--pipeline=report"], "Error: feature_report ("),
        (
            [
                "--pipeline=inference",
                "--load-versions=trained_model:2020-01-01T00.00.00.000Z",
            ],
            "Error: Version 2020-01-01T00.00.00.000Z of",
        ),
        (
            ["--params=train.model.hiden_size=3"],
            "Error: --params sets 'train.model.hiden_size', which is not a parameter "
            "of this configuration: did you mean 'train.model.hidden_size'?",
        ),
    ],
)
def test_kedro_level_mistakes_end_in_one_sentence(cli_project, args, sentence):
    result = kedro_cli(cli_project, "run", *args)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(sentence), last


def test_kedro_still_registers_pipelines_without_configuration(monkeypatch):
    """The reason for ``configuration.use_for_pipelines`` (docs/upstream.md): Kedro
    hands ``register_pipelines`` nothing. Once it passes the run's configuration,
    this fails and the workaround can go."""
    import sys
    import types

    from kedro.framework.project import pipelines
    from kedro.pipeline import Pipeline

    calls = []
    registry = types.ModuleType("probe_pipeline_registry")

    def register_pipelines(*args, **kwargs):
        calls.append((args, kwargs))
        return {"__default__": Pipeline([])}

    registry.register_pipelines = register_pipelines
    monkeypatch.setitem(sys.modules, "probe_pipeline_registry", registry)
    try:
        pipelines.configure("probe_pipeline_registry")
        assert list(pipelines) == ["__default__"]
    finally:
        pipelines.configure("pirate_pain.pipeline_registry")
    assert calls == [((), {})]


def test_the_loader_reads_each_key_once_and_hands_out_copies(tmp_path):
    from pirate_pain.configuration import ProjectConfigLoader
    from pirate_pain.settings import CONFIG_LOADER_ARGS

    root = make_project(tmp_path / "project")
    loader = ProjectConfigLoader(
        conf_source=str(root / "conf"),
        runtime_params={"train": {"epochs": 3}},
        **CONFIG_LOADER_ARGS,
    )
    first = loader["parameters"]
    assert first["train"]["epochs"] == 3  # --params applied
    first["train"]["epochs"] = 99  # a caller's change stays its own
    (root / "conf/base/parameters_train.yml").write_text("train: {epochs: 7}\n")
    assert loader["parameters"]["train"]["epochs"] == 3  # read once per loader
    loader["parameters"] = {"train": {"epochs": 5}}  # set on the loader: as Kedro
    assert loader["parameters"] == {"train": {"epochs": 5}}
    fresh = ProjectConfigLoader(conf_source=str(root / "conf"), **CONFIG_LOADER_ARGS)
    assert fresh["parameters"]["train"]["epochs"] == 7  # a new session reads anew


def test_after_a_refused_session_a_new_project_registers_its_own_pipelines(project):
    from kedro.framework.project import pipelines

    from pirate_pain.configuration import forget_run

    bad = {"train": {"model": {"hiden_size": 4}}}
    with pytest.raises(Exception, match="sets 'train.model.hiden_size'"):
        run_pipeline(project, "train", bad)
    with pytest.raises(Exception, match="hiden_size"):  # the refused configuration
        pipelines["select"]
    forget_run()  # what the `project` fixture does for each new project
    assert "train_model_node" in {n.name for n in pipelines["train"].nodes}

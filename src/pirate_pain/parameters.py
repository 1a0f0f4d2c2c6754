"""Typed parameter blocks: every block of ``conf/*/parameters_*.yml`` and ``globals.yml``.

One pydantic model per block (the ``train`` block lives in ``modeling.config``).
``check_parameters`` validates the resolved configuration of a run, including
``--params`` overrides and every run-time built train block (candidates, tuning
``fixed`` and search space), before the first node; a problem is one sentence
naming the dotted key.
"""

from __future__ import annotations

import copy
import difflib
import json
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from .errors import UserInputError
from .fanout import FanoutParams
from .modeling.config import (
    DEVICE_PATTERN,
    ConfigBlock,
    TrainConfig,
    checked,
    dotted_to_nested,
)


class SyntheticParams(ConfigBlock):
    n_train: int = Field(661, ge=3)
    n_test: int = Field(1324, ge=0)
    n_steps: int = Field(160, ge=2)
    seed: int = 42


class DataSource(ConfigBlock):
    """``globals.yml``: which raw data a run reads, and where."""

    data_source: Literal["synthetic", "challenge", "public"] = "synthetic"
    raw_dir: str = "data/01_raw/synthetic"
    synthetic: SyntheticParams = Field(default_factory=SyntheticParams)
    public_dataset: str | None = None  # a UEA/UCR name bundled with aeon, or a path


class IngestionParams(ConfigBlock):
    id_column: str
    time_column: str
    label_column: str
    classes: list[str] = Field(min_length=2)  # label strings, in class-index order
    categorical_columns: list[str] = Field(default_factory=list)
    numeric_columns: list[str] = Field(min_length=1)
    allow_time_gaps: bool = False
    unequal_lengths: Literal["refuse", "pad"] = "refuse"


class MergeCategorical(ConfigBlock):
    enabled: bool = False
    columns: list[str] = Field(default_factory=list)
    normal_value: str = "two"
    output_name: str = "n_limbs"


class ScalingGroup(ConfigBlock):
    name: str
    columns: list[str] = Field(min_length=1)  # regular expressions on column names
    scaler: Literal["standard", "minmax", "robust"] = "standard"


class FeaturesParams(ConfigBlock):
    validation_fraction: float = Field(0.2, gt=0, lt=1)
    split_seed: int = 42
    constant_std_threshold: float = Field(1e-8, ge=0)
    correlation_threshold: float = Field(0.9, gt=0, le=1)
    merge_categorical: MergeCategorical = Field(default_factory=MergeCategorical)
    scaling_groups: list[ScalingGroup] = Field(default_factory=list)


class StudyMembers(ConfigBlock):
    k: int = Field(0, ge=0)  # the k best completed trials join; 0: none
    study_name: str | None = None  # None: tune.study_name


class EnsembleParams(ConfigBlock):
    members: list[str] = Field(default_factory=list)  # candidate names
    seeds: list[int] = Field(default_factory=lambda: [1], min_length=1)
    member_seeds: dict[str, list[int]] = Field(default_factory=dict)  # per member
    vote: Literal["hard", "soft"] = "hard"
    calibrate: bool = True  # temperature and conformal scores after the vote
    torch_threads_per_member: int = Field(1, ge=0)
    include_fold_models: bool = False
    baselines: list[Literal["minirocket"]] = Field(default_factory=list)
    study_members: StudyMembers = Field(default_factory=StudyMembers)

    @field_validator("member_seeds")
    @classmethod
    def _known_members(cls, value: dict, info: ValidationInfo) -> dict:
        members = info.data.get("members") or []
        for name, seeds in value.items():
            if name not in members:
                raise ValueError(
                    f"'{name}' is not in ensemble.members ({', '.join(members)})"
                )
            if not seeds:
                raise ValueError(f"give '{name}' at least one seed")
        return value

    def seeds_of(self, member: str) -> list[int]:
        return self.member_seeds.get(member, self.seeds)

    def member_names(self) -> list[str]:
        """Namespace of every (member, seed) pair, e.g. ``bilstm_seed1``."""
        return [f"{m}_seed{s}" for m in self.members for s in self.seeds_of(m)]


class BenchmarkParams(ConfigBlock):
    models: list[str] = Field(default_factory=list)  # candidate names
    seeds: list[int] = Field(default_factory=lambda: [1], min_length=1)
    baselines: list[Literal["minirocket"]] = Field(default_factory=list)


class CompareParams(ConfigBlock):
    candidates: list[str] = Field(min_length=1)  # candidate names, same folds for all
    reference: str | None = None  # paired differences against it; None: the first
    folds: int = Field(5, ge=2)
    repeats: int = Field(1, ge=1)
    seed: int = 42  # repeat r uses seed + r
    # share of each fold's training part held out for early stopping (and for
    # fitting a macro_f1 decision rule); the scored fold is never used for either
    early_stopping_fraction: float = Field(0.2, gt=0.0, lt=0.5)
    score_test: bool = True  # where test labels exist: a test column, never a choice
    # select block: most picks of the greedy out-of-fold ensemble selection, and
    # the rule (modeling/selection.py): greedy once, greedy on bootstrap bags, or
    # anchored: greedy only where its choices beat the anchor candidate on rows they
    # were not chosen on (nested folds), and with anchor_confidence > 0 in at least
    # that share of bootstrap samples of those rows, else the anchor alone
    max_members: int = Field(10, ge=1)
    rule: Literal["greedy", "bagged", "anchored"] = "greedy"
    anchor: str = "multirocket_hydra"
    anchor_confidence: float = Field(0.0, ge=0, lt=1)
    # racing: after the first race_after folds, a candidate below the leader on each
    # of them by more than race_margin macro F1 gets no more fits (comparison.race);
    # race_rule halving: after fold race_after and each one after it, only the better
    # half (at least race_keep) goes on (comparison.halve); race_rule selection:
    # after fold race_after and each one after it, only the candidates the
    # selection rule picks on the out-of-fold rows so far, and the leader, go on
    # (comparison.not_picked); both stop racing once race_keep are left
    racing: bool = False
    race_after: int = Field(2, ge=1)
    race_margin: float = Field(0.02, ge=0, le=1)
    race_rule: Literal["margin", "halving", "selection"] = "margin"
    race_keep: int = Field(2, ge=1)

    @field_validator("reference")
    @classmethod
    def _among_candidates(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and value not in (info.data.get("candidates") or []):
            raise ValueError("name one of the candidates beside it")
        return value

    @field_validator("anchor")
    @classmethod
    def _anchor_among_candidates(cls, value: str, info: ValidationInfo) -> str:
        candidates = info.data.get("candidates") or []
        if info.data.get("rule") == "anchored" and value not in candidates:
            raise ValueError(
                f"rule 'anchored' needs its anchor '{value}' among the candidates"
                f" ({', '.join(candidates)}): add it or name another anchor"
            )
        return value

    def rule_options(self) -> dict[str, Any]:
        """Keyword arguments of ``self.rule`` beyond the out-of-fold arrays."""
        if self.rule != "anchored":
            return {}
        return {"anchor": self.anchor, "confidence": self.anchor_confidence}


class SearchDimension(ConfigBlock):
    type: Literal["float", "int", "categorical"]
    low: float | None = None
    high: float | None = None
    log: bool = False
    step: float | None = None
    choices: list[Any] | None = None

    @field_validator("choices")
    @classmethod
    def _non_empty(cls, value: list | None) -> list | None:
        if value is not None and not value:
            raise ValueError("give at least one choice")
        return value


class SamplerParams(ConfigBlock):
    name: Literal["tpe", "random"] = "tpe"
    seed: int | None = None
    n_startup_trials: int = Field(5, ge=0)


class PrunerParams(ConfigBlock):
    name: Literal["median", "hyperband", "none"] = "median"
    n_startup_trials: int = Field(5, ge=0)
    n_warmup_steps: int = Field(3, ge=0)
    min_resource: int = Field(1, ge=1)


class TuneParams(ConfigBlock):
    study_name: str
    direction: Literal["maximize", "minimize"] = "maximize"
    n_trials: int | None = Field(20, ge=1)  # per worker; None: until timeout
    timeout: float | None = Field(None, gt=0)  # seconds per worker
    objective_folds: int = Field(0, ge=0)
    torch_threads: int = Field(1, ge=0)
    sampler: SamplerParams = Field(default_factory=SamplerParams)
    pruner: PrunerParams = Field(default_factory=PrunerParams)
    heartbeat_interval: int = Field(10, ge=1)
    grace_period: int = Field(30, ge=1)
    max_retry: int = Field(3, ge=0)
    connection_retries: int = Field(3, ge=1)
    fixed: dict[str, Any] = Field(default_factory=dict)  # train overrides, every trial
    search_space: dict[str, SearchDimension] = Field(min_length=1)


class InferenceParams(ConfigBlock):
    predictor: Literal["trained_model", "ensemble_model", "selected_ensemble_model"] = (
        "trained_model"
    )
    device: str = Field("auto", pattern=DEVICE_PATTERN)  # auto|cpu|cuda|cuda:N|mps
    # largest CDF gap per column against training before a file is refused
    profile_threshold: float = Field(0.2, gt=0, le=1)
    accept_unlike_training: bool = False  # true: skip the profile check
    torch_threads: int = Field(0, ge=0)  # CPU threads; 0: half the cores
    # prediction sets covering the truth with this probability, per class; null: off
    coverage: float | None = Field(None, gt=0, lt=1)
    # which columns and moments made each call (Captum, PyTorch members): slower
    attributions: bool = False


BLOCKS: dict[str, type[BaseModel]] = {
    "ingestion": IngestionParams,
    "features": FeaturesParams,
    "train": TrainConfig,
    "tune": TuneParams,
    "ensemble": EnsembleParams,
    "benchmark": BenchmarkParams,
    "compare": CompareParams,
    "select": CompareParams,  # --pipeline=select: the comparison it selects from
    "inference": InferenceParams,
    "fanout": FanoutParams,
}
# mappings of train overrides: --params may add keys there (the train block checks)
FREE_FORM = ("tune.search_space", "tune.fixed", "ensemble.member_seeds")


def candidate_config(
    train: TrainConfig, candidates: dict[str, Any], name: str, where: str
) -> TrainConfig:
    """The train block with candidate ``name``'s overrides merged in, checked."""
    known_candidate(candidates, name, where)
    return train.with_overrides(candidates[name] or {}, f"candidates.{name}")


def known_candidate(candidates: dict[str, Any], name: str, where: str) -> None:
    """``name`` is a candidate, or one sentence naming the closest one."""
    if name not in candidates:
        close = difflib.get_close_matches(name, list(candidates), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise UserInputError(
            f"{where} names '{name}', which is not a candidate{hint}: use one of "
            f"{', '.join(sorted(candidates)) or 'none'} or add it under candidates."
        )


def trial_config(train: TrainConfig, tune: TuneParams, values: dict) -> TrainConfig:
    """A tuning trial's train block: ``tune.fixed``, then the trial's values."""
    fixed = train.with_overrides(tune.fixed, "tune.fixed")
    return fixed.with_overrides(dotted_to_nested(values), "tune.search_space")


def check_search_space(train: TrainConfig, tune: TuneParams) -> None:
    """Every search path exists in the train block; every range end is valid."""
    for path, spec in tune.search_space.items():
        where = f"tune.search_space.{path}"
        if spec.type == "categorical":
            if not spec.choices:
                raise UserInputError(f"{where}.choices must be a non-empty list.")
            samples = spec.choices
        else:
            if spec.low is None or spec.high is None:
                raise UserInputError(f"{where} needs numeric low and high values.")
            if spec.low >= spec.high:
                raise UserInputError(
                    f"{where} has low {spec.low} >= high {spec.high}: swap them."
                )
            if spec.log and spec.low <= 0:
                raise UserInputError(f"{where} is on a log scale: low must be > 0.")
            samples = [spec.low, spec.high]
        for value in samples:
            trial_config(train, tune, {path: value})


_CHECKED: dict[str, dict[str, BaseModel]] = {}  # this process's checked configs


def check_parameters(params: dict[str, Any]) -> dict[str, BaseModel]:
    """Validate every block of a run's resolved parameters; one sentence on error.

    The check is a function of the parameters alone: a configuration already checked
    in this process (the next session of a notebook, a test suite) is not checked
    again; the caller gets its own copy of the blocks."""
    key = json.dumps(params, sort_keys=True, default=repr)
    if key not in _CHECKED:
        if len(_CHECKED) >= 16:
            _CHECKED.clear()
        _CHECKED[key] = _check_parameters(params)
    return copy.deepcopy(_CHECKED[key])


def _check_parameters(params: dict[str, Any]) -> dict[str, BaseModel]:
    unknown = sorted(set(params) - set(BLOCKS) - {"candidates"})
    if unknown:
        close = difflib.get_close_matches(unknown[0], [*BLOCKS, "candidates"], n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise UserInputError(
            f"'{unknown[0]}' is not a parameter block: {hint}use one of "
            f"{', '.join(sorted([*BLOCKS, 'candidates']))}."
        )
    typed = {
        name: checked(model, params.get(name) or {}, name)
        for name, model in BLOCKS.items()
    }
    candidates = params.get("candidates") or {}
    if not isinstance(candidates, dict):
        raise UserInputError("candidates must map names to train overrides.")
    train = typed["train"]
    for name in candidates:  # each candidate once; later blocks check names only
        candidate_config(train, candidates, name, "candidates")
    ensemble = typed["ensemble"]
    for name in ensemble.members:
        known_candidate(candidates, name, "ensemble.members")
    joined = ensemble.member_names()
    if len(joined) + 2 * ensemble.include_fold_models + ensemble.study_members.k < 2:
        raise UserInputError(
            f"ensemble has {len(joined)} member(s) ({', '.join(joined) or 'none'}): "
            "name at least two in ensemble.members (or more ensemble.seeds)."
        )
    for name in typed["benchmark"].models:
        known_candidate(candidates, name, "benchmark.models")
    for block in ("compare", "select"):
        for name in typed[block].candidates:
            known_candidate(candidates, name, f"{block}.candidates")
    check_search_space(train, typed["tune"])
    return typed


def check_devices(typed: dict[str, BaseModel]) -> None:
    """The configured devices exist on this machine (one sentence otherwise)."""
    from .modeling.runtime import resolve_device

    resolve_device(typed["train"].device, "train.device")
    resolve_device(typed["inference"].device, "inference.device")


def check_overrides(runtime: dict[str, Any], from_files: dict[str, Any]) -> None:
    """Every ``--params`` key exists in the files (inside the free-form mappings,
    the train block checks the rest); otherwise name the closest key."""
    for path in _dotted(runtime):
        parts = path.split(".")
        node: Any = from_files
        for depth, key in enumerate(parts):
            here = ".".join(parts[:depth])
            if here in FREE_FORM or (depth >= 2 and parts[0] == "candidates"):
                break
            if not isinstance(node, dict) or key not in node:
                siblings = list(node) if isinstance(node, dict) else []
                known = [".".join([*parts[:depth], s]) for s in siblings]
                close = difflib.get_close_matches(".".join(parts[: depth + 1]), known)
                hint = f"did you mean '{close[0]}'?" if close else "check the name."
                raise UserInputError(
                    f"--params sets '{path}', which is not a parameter of this "
                    f"configuration: {hint}"
                )
            node = node[key]


def _dotted(values: dict[str, Any], prefix: str = "") -> list[str]:
    paths = []
    for key, value in values.items():
        full = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            paths += _dotted(value, f"{full}.")
        else:
            paths.append(full)
    return paths


def check_data_source(values: Any) -> DataSource:
    return checked(DataSource, values or {}, "globals")

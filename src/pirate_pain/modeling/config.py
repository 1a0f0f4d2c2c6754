"""Training configuration built from ``parameters_train.yml`` and checked at start.

Every knob has a default and a short comment; ``TrainConfig.from_params`` refuses
unknown keys, unknown choices and out-of-range values with one sentence.
"""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass, field
from typing import Any, get_type_hints

from ..errors import UserInputError


@dataclass
class ModelConfig:
    cell: str = "gru"  # rnn | lstm | gru | none (Conv1D layers only)
    hidden_size: int = 100
    num_layers: int = 3
    bidirectional: bool = True
    dropout: float = 0.2  # between recurrent layers and before the classifier
    conv_channels: int = 0  # 0: no Conv1D front end
    conv_kernel_size: int = 5  # odd, so padding keeps the time length
    conv_layers: int = 1
    conv_batch_norm: bool = False  # batch norm after each conv (true steps only)
    head: str = "last"  # last | mean | attention
    attention_size: int = 64
    static_embedding_dim: int = 0  # 0: categorical features enter one-hot


@dataclass
class OptimizerConfig:
    learning_rate: float = 1e-3
    weight_decay: float = 1e-2  # AdamW's decoupled decay
    l1: float = 0.0  # explicit penalties on weight matrices, added to the loss
    l2: float = 0.0


@dataclass
class SchedulerConfig:
    name: str = "none"  # none | cosine | plateau | onecycle
    plateau_factor: float = 0.5
    plateau_patience: int = 3
    min_lr: float = 1e-5


@dataclass
class LossConfig:
    class_weights: Any = "inverse"  # none | inverse | effective | [w0, w1, ...]
    effective_beta: float = 0.999  # for "effective number of samples" weights
    label_smoothing: float = 0.0
    focal_gamma: float = 0.0  # 0: plain cross entropy
    focal_alpha: list[float] | None = None  # per-class factors of the focal loss


@dataclass
class SamplingConfig:
    method: str = "none"  # none | weighted_sampler | replicate


@dataclass
class WindowConfig:
    length: int = 0  # 0: whole sequences
    stride: int = 0  # 0: same as length


@dataclass
class AugmentationConfig:
    """Training batches only; padded steps stay zero."""

    jitter_std: float = 0.0  # Gaussian noise added to every true step
    scale_std: float = 0.0  # per-sequence, per-channel factor ~ N(1, scale_std)


@dataclass
class CrossValidationConfig:
    folds: int = 0  # 0: off; k >= 2: stratified k-fold on train + validation


@dataclass
class TrainConfig:
    seed: int = 42
    epochs: int = 40
    batch_size: int = 64
    patience: int = 8  # early stopping on validation macro F1
    # true: fit on train + validation for all epochs, no early stopping (k-fold
    # and tuning trials still hold out); validation scores are then in-sample
    fit_on_validation: bool = False
    gradient_clip: float = 1.0  # max gradient norm; 0: off
    torch_threads: int = 0  # 0: leave torch's default
    progress_bar: bool = True  # on a terminal; plain log lines otherwise
    model: ModelConfig = field(default_factory=ModelConfig)
    optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)
    scheduler: SchedulerConfig = field(default_factory=SchedulerConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    sampling: SamplingConfig = field(default_factory=SamplingConfig)
    window: WindowConfig = field(default_factory=WindowConfig)
    augmentation: AugmentationConfig = field(default_factory=AugmentationConfig)
    cross_validation: CrossValidationConfig = field(
        default_factory=CrossValidationConfig
    )

    @classmethod
    def from_params(cls, params: dict[str, Any], prefix: str = "train") -> TrainConfig:
        config = _build(cls, params or {}, prefix)
        validate(config, prefix)
        return config

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


CHOICES = {
    "model.cell": ("rnn", "lstm", "gru", "none"),
    "model.head": ("last", "mean", "attention"),
    "scheduler.name": ("none", "cosine", "plateau", "onecycle"),
    "sampling.method": ("none", "weighted_sampler", "replicate"),
}
WEIGHT_CHOICES = ("none", "inverse", "effective")


def _build(cls, values: dict[str, Any], prefix: str):
    if not isinstance(values, dict):
        raise UserInputError(f"{prefix} must be a mapping of parameters.")
    hints = get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise UserInputError(
            f"{prefix}.{unknown[0]} is not a known parameter: use one of "
            f"{', '.join(sorted(known))}."
        )
    kwargs = {}
    for name, value in values.items():
        hint = hints[name]
        if dataclasses.is_dataclass(hint):
            kwargs[name] = _build(hint, value, f"{prefix}.{name}")
        else:
            kwargs[name] = _coerce(value, hint, f"{prefix}.{name}")
    return cls(**kwargs)


def _coerce(value: Any, hint: Any, where: str) -> Any:
    """Check a scalar against its declared type (ints are fine where floats are)."""
    if hint is bool:
        if not isinstance(value, bool):
            raise UserInputError(f"{where} is {value!r}: use true or false.")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise UserInputError(f"{where} is {value!r}: use a whole number.")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise UserInputError(f"{where} is {value!r}: use a number.")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise UserInputError(f"{where} is {value!r}: use a text value.")
        return value
    return value


def _check(ok: bool, where: str, value: Any, rule: str) -> None:
    if not ok:
        raise UserInputError(f"{where} is {value!r}: it must be {rule}.")


def validate(config: TrainConfig, prefix: str = "train") -> None:
    """Refuse unknown choices and out-of-range values, naming the parameter."""
    for path, choices in CHOICES.items():
        section, name = path.split(".")
        value = getattr(getattr(config, section), name)
        if value not in choices:
            raise UserInputError(
                f"{prefix}.{path} is {value!r}: choose one of {', '.join(choices)}."
            )
    m, o, lo = config.model, config.optimizer, config.loss
    p = prefix
    _check(config.epochs >= 1, f"{p}.epochs", config.epochs, "at least 1")
    _check(config.batch_size >= 1, f"{p}.batch_size", config.batch_size, "at least 1")
    _check(config.patience >= 1, f"{p}.patience", config.patience, "at least 1")
    _check(
        config.gradient_clip >= 0, f"{p}.gradient_clip", config.gradient_clip, ">= 0"
    )
    _check(m.hidden_size >= 1, f"{p}.model.hidden_size", m.hidden_size, "at least 1")
    _check(m.num_layers >= 1, f"{p}.model.num_layers", m.num_layers, "at least 1")
    _check(0 <= m.dropout < 1, f"{p}.model.dropout", m.dropout, "in [0, 1)")
    _check(m.conv_channels >= 0, f"{p}.model.conv_channels", m.conv_channels, ">= 0")
    _check(
        m.conv_kernel_size >= 1 and m.conv_kernel_size % 2 == 1,
        f"{p}.model.conv_kernel_size",
        m.conv_kernel_size,
        "an odd number >= 1",
    )
    _check(m.conv_layers >= 1, f"{p}.model.conv_layers", m.conv_layers, "at least 1")
    _check(
        m.cell != "none" or m.conv_channels > 0,
        f"{p}.model.conv_channels",
        m.conv_channels,
        "> 0 when model.cell is 'none' (a model needs a Conv1D or recurrent core)",
    )
    _check(m.attention_size >= 1, f"{p}.model.attention_size", m.attention_size, ">= 1")
    _check(
        m.static_embedding_dim >= 0,
        f"{p}.model.static_embedding_dim",
        m.static_embedding_dim,
        ">= 0",
    )
    _check(o.learning_rate > 0, f"{p}.optimizer.learning_rate", o.learning_rate, "> 0")
    for name in ("weight_decay", "l1", "l2"):
        value = getattr(o, name)
        _check(value >= 0, f"{p}.optimizer.{name}", value, ">= 0")
    weights = lo.class_weights
    if isinstance(weights, str):
        if weights not in WEIGHT_CHOICES:
            raise UserInputError(
                f"{p}.loss.class_weights is {weights!r}: choose one of "
                f"{', '.join(WEIGHT_CHOICES)} or give a list of per-class weights."
            )
    elif not (
        isinstance(weights, list | tuple)
        and all(isinstance(w, int | float) and w >= 0 for w in weights)
    ):
        raise UserInputError(
            f"{p}.loss.class_weights is {weights!r}: choose one of "
            f"{', '.join(WEIGHT_CHOICES)} or give a list of per-class weights >= 0."
        )
    _check(
        0 < lo.effective_beta < 1,
        f"{p}.loss.effective_beta",
        lo.effective_beta,
        "in (0, 1)",
    )
    _check(
        0 <= lo.label_smoothing < 1,
        f"{p}.loss.label_smoothing",
        lo.label_smoothing,
        "in [0, 1)",
    )
    _check(lo.focal_gamma >= 0, f"{p}.loss.focal_gamma", lo.focal_gamma, ">= 0")
    for name in ("jitter_std", "scale_std"):
        value = getattr(config.augmentation, name)
        _check(value >= 0, f"{p}.augmentation.{name}", value, ">= 0")
    w = config.window
    _check(w.length >= 0, f"{p}.window.length", w.length, ">= 0")
    _check(w.stride >= 0, f"{p}.window.stride", w.stride, ">= 0")
    folds = config.cross_validation.folds
    _check(folds == 0 or folds >= 2, f"{p}.cross_validation.folds", folds, "0 or >= 2")


def check_against_data(config: TrainConfig, n_classes: int, prefix: str = "train"):
    """Checks that need the data: per-class lists must match the class count."""
    weights = config.loss.class_weights
    if isinstance(weights, list | tuple) and len(weights) != n_classes:
        raise UserInputError(
            f"{prefix}.loss.class_weights has {len(weights)} values: give one per class "
            f"({n_classes})."
        )
    alpha = config.loss.focal_alpha
    if alpha is not None and len(alpha) != n_classes:
        raise UserInputError(
            f"{prefix}.loss.focal_alpha has {len(alpha)} values: give one per class "
            f"({n_classes}) or null."
        )


def merge_overrides(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge ``overrides`` into a copy of ``base`` (used by tune and ensemble)."""
    merged = {k: (dict(v) if isinstance(v, dict) else v) for k, v in base.items()}
    for key, value in (overrides or {}).items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_overrides(merged[key], value)
        else:
            merged[key] = value
    return merged


def set_dotted(params: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    """Copy of ``params`` with ``a.b.c`` set to ``value``."""
    head, *rest = dotted.split(".")
    if not rest:
        return {**params, head: value}
    return {**params, head: set_dotted(params.get(head) or {}, ".".join(rest), value)}

"""Typed training configuration: the ``train`` block of ``parameters_train.yml``.

Every knob has its type, default, allowed values and a short comment here, once.
Kedro validates a node's ``params:train`` input against ``TrainConfig`` before the
run; ``TrainConfig.from_params`` does the same for blocks built at run time
(ensemble members, benchmark models, tuning trials) and turns pydantic's report into
one sentence. ``merge`` is the one override rule: a deep merge, lists replaced.
"""

from __future__ import annotations

import difflib
from typing import Annotated, Any, Literal

from omegaconf import OmegaConf
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ..errors import UserInputError

ROCKET_KINDS = ("minirocket", "multirocket_hydra", "quant", "rdst")  # aeon members
NonNegative = Annotated[float, Field(ge=0)]
# auto: CUDA if available, else MPS, else CPU
DEVICE_PATTERN = r"^(auto|cpu|mps|cuda(:\d+)?)$"


class ConfigBlock(BaseModel):
    """Every typed parameter block: unknown keys are errors; values are checked
    again when assigned."""

    model_config = ConfigDict(
        extra="forbid", validate_assignment=True, validate_default=True
    )


class ModelConfig(ConfigBlock):
    # recurrent: the options below; resnet / inception: ResNet or InceptionTime
    # (Fawaz et al.), masked mean pooling; cell, conv_* and head are then unused;
    # minirocket / multirocket_hydra / quant / rdst: aeon's transforms and heads
    # (modeling/rocket.py), no epochs: seed, fit_on_validation, decision_rule apply
    backbone: Literal["recurrent", "resnet", "inception", *ROCKET_KINDS] = "recurrent"
    backbone_filters: int = Field(32, ge=1)  # resnet: f, 2f, 2f; inception: 4f wide
    inception_depth: int = Field(6, ge=1)  # modules; a residual every third
    cell: Literal["rnn", "lstm", "gru", "none"] = "gru"  # none: Conv1D layers only
    hidden_size: int = Field(100, ge=1)
    num_layers: int = Field(3, ge=1)
    bidirectional: bool = True
    dropout: float = Field(0.2, ge=0, lt=1)  # between layers, before the classifier
    conv_channels: int = Field(0, ge=0)  # 0: no Conv1D front end
    conv_kernel_size: int = Field(5, ge=1)  # odd, so padding keeps the time length
    conv_layers: int = Field(1, ge=1)
    conv_batch_norm: bool = False  # batch norm after each conv (true steps only)
    # > 1: average the conv features over windows of this many steps (true steps
    # only), so the recurrent core sees T / conv_pool steps (long sequences)
    conv_pool: int = Field(1, ge=1)
    head: Literal["last", "mean", "attention"] = "last"
    attention_size: int = Field(64, ge=1)
    static_embedding_dim: int = Field(0, ge=0)  # 0: categorical features one-hot

    @field_validator("conv_kernel_size")
    @classmethod
    def _odd(cls, value: int) -> int:
        if value % 2 == 0:
            raise ValueError("use an odd number, so padding keeps the time length")
        return value

    @field_validator("conv_channels")
    @classmethod
    def _has_core(cls, value: int, info: ValidationInfo) -> int:
        recurrent = info.data.get("backbone", "recurrent") == "recurrent"
        if value == 0 and info.data.get("cell") == "none" and recurrent:
            raise ValueError(
                "use > 0 when model.cell is 'none' (a model needs a Conv1D or "
                "recurrent core)"
            )
        return value


class OptimizerConfig(ConfigBlock):
    learning_rate: float = Field(1e-3, gt=0)
    weight_decay: NonNegative = 1e-2  # AdamW's decoupled decay
    l1: NonNegative = 0.0  # explicit penalties on weight matrices, added to the loss
    l2: NonNegative = 0.0


class SchedulerConfig(ConfigBlock):
    name: Literal["none", "cosine", "plateau", "onecycle"] = "none"
    # linear learning-rate warm-up over the first epochs (with none or cosine; at
    # most epochs - 1)
    warmup_epochs: int = Field(0, ge=0)
    plateau_factor: float = Field(0.5, gt=0, lt=1)
    plateau_patience: int = Field(3, ge=0)
    min_lr: NonNegative = 1e-5


WEIGHT_CHOICES = ("none", "inverse", "effective")


class LossConfig(ConfigBlock):
    class_weights: str | list[float] = "inverse"  # none | inverse | effective | list
    effective_beta: float = Field(0.999, gt=0, lt=1)  # "effective number" weights
    label_smoothing: float = Field(0.0, ge=0, lt=1)
    focal_gamma: NonNegative = 0.0  # 0: plain cross entropy
    focal_alpha: list[NonNegative] | None = None  # per-class factors of focal loss

    @field_validator("class_weights")
    @classmethod
    def _weights(cls, value: str | list[float]) -> str | list[float]:
        if isinstance(value, str) and value not in WEIGHT_CHOICES:
            raise ValueError(
                f"choose one of {', '.join(WEIGHT_CHOICES)} or a list of weights"
            )
        if isinstance(value, list) and any(w < 0 for w in value):
            raise ValueError("give per-class weights >= 0")
        return value


class SamplingConfig(ConfigBlock):
    method: Literal["none", "weighted_sampler", "replicate"] = "none"


class WindowConfig(ConfigBlock):
    length: int = Field(0, ge=0)  # 0: whole sequences
    stride: int = Field(0, ge=0)  # 0: same as length


class AugmentationConfig(ConfigBlock):
    """Training batches only; padded steps stay zero."""

    jitter_std: NonNegative = 0.0  # Gaussian noise added to every true step
    scale_std: NonNegative = 0.0  # per-sequence, per-channel factor ~ N(1, scale_std)


class CrossValidationConfig(ConfigBlock):
    folds: int = Field(0, ge=0)  # 0: off; k >= 2: stratified k-fold
    # share of each fold's training rows held out for early stopping (and a
    # macro_f1 rule); the scored fold is never seen before it is scored
    early_stopping_fraction: float = Field(0.2, gt=0.0, lt=0.5)

    @field_validator("folds")
    @classmethod
    def _not_one(cls, value: int) -> int:
        if value == 1:
            raise ValueError("use 0 (off) or at least 2")
        return value


class TrainConfig(ConfigBlock):
    seed: int = 42
    epochs: int = Field(40, ge=1)
    batch_size: int = Field(64, ge=1)
    # small data: the batch shrinks to ceil(N / min_batches) so that an epoch takes
    # at least this many gradient steps (Fawaz et al. use N / 10); 1: off
    min_batches: int = Field(1, ge=1)
    patience: int = Field(8, ge=1)  # epochs without a better selection score
    # what early stopping keeps the best epoch of: this epoch's validation macro F1,
    # validation loss, or macro F1 averaged over the last smoothing_window epochs
    early_stopping: Literal["macro_f1", "loss", "smoothed_macro_f1"] = "macro_f1"
    smoothing_window: int = Field(3, ge=1)
    # true: fit on train + validation for all epochs, no early stopping (k-fold
    # and tuning trials still hold out); validation scores are then in-sample
    fit_on_validation: bool = False
    # argmax | macro_f1: per-class logit offsets fitted on the early-stopping
    # split's predictions (modeling/decision.py), applied wherever the model predicts
    decision_rule: Literal["argmax", "macro_f1"] = "argmax"
    # temperature scaling and conformal scores fitted on the early-stopping split
    # (modeling/calibration.py); never changes a label
    calibrate: bool = True
    gradient_clip: NonNegative = 1.0  # max gradient norm; 0: off
    torch_threads: int = Field(0, ge=0)  # CPU threads; 0: half the cores (README)
    device: str = Field("auto", pattern=DEVICE_PATTERN)  # auto|cpu|cuda|cuda:N|mps
    precision: Literal["fp32", "bf16", "fp16"] = "fp32"  # autocast; fp16 scales grads
    deterministic: bool = False  # deterministic algorithms (and cuBLAS) on CUDA
    progress_bar: bool = True  # on a terminal; plain log lines otherwise
    model: ModelConfig = Field(default_factory=ModelConfig)
    optimizer: OptimizerConfig = Field(default_factory=OptimizerConfig)
    scheduler: SchedulerConfig = Field(default_factory=SchedulerConfig)
    loss: LossConfig = Field(default_factory=LossConfig)
    sampling: SamplingConfig = Field(default_factory=SamplingConfig)
    window: WindowConfig = Field(default_factory=WindowConfig)
    augmentation: AugmentationConfig = Field(default_factory=AugmentationConfig)
    cross_validation: CrossValidationConfig = Field(
        default_factory=CrossValidationConfig
    )

    @model_validator(mode="after")
    def _warmup_and_pool(self) -> TrainConfig:
        warmup = self.scheduler.warmup_epochs
        if warmup and self.scheduler.name not in ("none", "cosine"):
            raise ValueError(
                "scheduler.warmup_epochs works with scheduler.name none or cosine: "
                "set it to 0 or change the scheduler"
            )
        if self.model.conv_pool > 1 and self.model.conv_channels == 0:
            raise ValueError(
                "model.conv_pool pools the Conv1D front end: set model.conv_channels "
                "> 0 or conv_pool to 1"
            )
        return self

    @model_validator(mode="after")
    def _held_out_for_decision(self) -> TrainConfig:
        if self.decision_rule == "macro_f1" and self.fit_on_validation:
            raise ValueError(
                "decision_rule macro_f1 fits its offsets on the held-out validation "
                "split: set fit_on_validation to false or decision_rule to argmax"
            )
        return self

    @classmethod
    def from_params(cls, params: Any, prefix: str = "train") -> TrainConfig:
        """A checked config from a mapping (or a config, returned as it is)."""
        if isinstance(params, TrainConfig):
            return params
        return checked(cls, params or {}, prefix)

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def with_overrides(self, overrides: Any, prefix: str = "train") -> TrainConfig:
        """This config with ``overrides`` deep-merged in (``merge``), checked."""
        return TrainConfig.from_params(merge(self.to_dict(), overrides), prefix)


def merge(base: dict[str, Any], overrides: Any) -> dict[str, Any]:
    """The one override rule: OmegaConf's deep merge, lists replaced whole."""
    merged = OmegaConf.merge(OmegaConf.create(base), OmegaConf.create(overrides))
    return OmegaConf.to_container(merged)


def dotted_to_nested(flat: dict[str, Any]) -> dict[str, Any]:
    """``{"model.cell": "gru"}`` -> ``{"model": {"cell": "gru"}}`` (OmegaConf's
    dotted-key update)."""
    nested = OmegaConf.create()
    for path, value in flat.items():
        OmegaConf.update(nested, path, value)
    return OmegaConf.to_container(nested)


def checked(model: type[BaseModel], values: Any, prefix: str) -> Any:
    """``model(**values)``, or one sentence naming the first bad dotted key."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise UserInputError(describe(exc, model, prefix)) from None


def describe(exc: ValidationError, model: type[BaseModel], prefix: str) -> str:
    """One sentence for the first error of a pydantic report."""
    error = exc.errors()[0]
    loc = [str(part) for part in error["loc"] if not str(part).startswith("function")]
    # unions report each branch (e.g. 'literal[...]', 'list[...]'): keep real keys
    loc = [p for p in loc if "[" not in p]
    where = ".".join([prefix, *loc]) if loc else prefix
    value = error.get("input")
    if error["type"] == "extra_forbidden":
        known = _known_keys(model, loc[:-1])
        close = difflib.get_close_matches(loc[-1], known, n=1)
        hint = f"did you mean '{close[0]}' " if close else ""
        return (
            f"{where} is not a known parameter: {hint}(known here: "
            f"{', '.join(sorted(known))})."
        )
    if error["type"] == "missing":
        return f"{where} is missing: add it."
    if error["type"] == "literal_error":
        choices = error["ctx"]["expected"].replace("'", "").replace(" or ", ", ")
        return f"{where} is {value!r}: choose one of {choices}."
    message = error["msg"].removeprefix("Value error, ")
    if not loc:  # a rule across keys: the message names them
        return f"{where}: {message}."
    return f"{where} is {value!r}: {message[0].lower()}{message[1:]}."


def _known_keys(model: type[BaseModel], path: list[str]) -> list[str]:
    for key in path:
        field = model.model_fields.get(key)
        annotation = getattr(field, "annotation", None)
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        model = annotation
    return list(model.model_fields)


def check_against_data(config: TrainConfig, n_classes: int, prefix: str = "train"):
    """Checks that need the data: per-class lists must match the class count."""
    weights = config.loss.class_weights
    if isinstance(weights, list) and len(weights) != n_classes:
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

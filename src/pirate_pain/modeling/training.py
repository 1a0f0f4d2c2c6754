"""The one training function used by train, tune, ensemble and benchmark.

``fit`` makes a classifier (``classifier.Classifier``) from a training configuration:
a ROCKET-family member in one step (``rocket.fit_rocket``), or a PyTorch network by
the loop below, in small pieces: the set-up, one epoch, one evaluation, the
early-stopping rule and the schedule (``callbacks.py``), the history.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from tqdm.auto import tqdm

from ..errors import UserInputError
from .batches import Batches, augment, epoch_order, make_batches
from .callbacks import EarlyStopping, make_scheduler, step_per_epoch
from .classifier import Classifier
from .config import ROCKET_KINDS, TrainConfig, check_against_data
from .data import concat_model_inputs
from .decision import fitted_decision
from .losses import SequenceLoss, class_weights, weight_penalty
from .model import ModelShape, SequenceClassifier
from .network import FitResult, predict_proba
from .rocket import fit_rocket
from .runtime import autocast, compute_settings, describe_device, resolve_device
from .scores import macro_f1, mean_log_loss

__all__ = ["FitResult", "fit", "model_shape", "predict_proba"]
logger = logging.getLogger(__name__)

EpochCallback = Callable[[int, float], None]


class TrainingDivergedError(UserInputError):
    """The loss became NaN or infinite."""


def model_shape(data: dict) -> ModelShape:
    """Input width, class count and categorical sizes of a model input dict."""
    return ModelShape(
        n_features=int(data["x"].shape[2]),
        n_classes=len(data["class_names"]),
        static_cardinalities=[int(c) for c in data["static_cardinalities"]],
    )


def attach_decision(
    result: Classifier,
    held_out: dict | None,
    config: TrainConfig,
    log_prefix: str = "",
) -> Classifier:
    """Fit the ``macro_f1`` rule on ``held_out`` (rows no gradient step saw: the
    early-stopping split) and store it in ``result``."""
    if held_out is None:
        raise UserInputError(
            f"{log_prefix}train.decision_rule is macro_f1 but there is no held-out "
            "split to fit it on: use decision_rule argmax here."
        )
    probs = result.probabilities(held_out, config.window, decision=False)
    result.decision = fitted_decision(probs, held_out["y"], held_out["sample_ids"])
    logger.info(
        "%smacro_f1 decision rule: logit offsets %s fitted on %d held-out sequences",
        log_prefix,
        result.decision["offsets"],
        len(held_out["y"]),
    )
    return result


def fit(
    train: dict,
    validation: dict | None,
    config: TrainConfig,
    epoch_callback: EpochCallback | None = None,
    log_prefix: str = "",
) -> Classifier:
    """Train a classifier with early stopping on validation macro F1 (a ROCKET
    member, ``model.backbone``, is fitted on ``train`` in one step).

    Args:
        train: Model input (``x``, ``lengths``, ``static``, ``y``, ...).
        validation: Model input scored after every epoch, or None (no early stop).
        config: The checked training configuration.
        epoch_callback: Called as ``callback(epoch, val_macro_f1)``; may raise
            (for example ``optuna.TrialPruned``).
        log_prefix: Put before every log line (member or trial name).

    Returns:
        The model with the best validation weights restored, and its history.
        With ``config.fit_on_validation`` the validation split joins the training
        data and the model of the last epoch is returned.
    """
    rocket = config.model.backbone in ROCKET_KINDS
    if config.fit_on_validation and validation is not None:
        train, validation = concat_model_inputs(train, validation), None
        logger.info(
            "%sfitting on train + validation (%d sequences)%s",
            log_prefix,
            len(train["y"]),
            "" if rocket else f" for {config.epochs} epochs, no early stopping",
        )
    shape = model_shape(train)
    check_against_data(config, shape.n_classes)
    if rocket:  # no epochs, no device
        logger.info("%sfitting %s", log_prefix, config.model.backbone)
        fitted = fit_rocket(train, config, log_prefix)
        return _with_decision(fitted, validation, config, log_prefix)
    device = resolve_device(config.device)
    logger.info(
        "%straining on %s, %s",
        log_prefix,
        describe_device(config.device, device),
        config.precision,
    )
    with compute_settings(config.torch_threads, config.deterministic, device):
        fitted = _fit(
            train, validation, config, shape, device, epoch_callback, log_prefix
        )
        return _with_decision(fitted, validation, config, log_prefix)


def _with_decision(fitted, validation, config: TrainConfig, log_prefix: str):
    if config.decision_rule == "macro_f1":
        attach_decision(fitted, validation, config, log_prefix)
    return fitted


@dataclass
class _Loop:
    """What one network training run works with (built once by ``_prepare``)."""

    config: TrainConfig
    device: torch.device
    model: SequenceClassifier
    criterion: SequenceLoss
    optimizer: torch.optim.Optimizer
    scaler: torch.amp.GradScaler
    scheduler: object
    batch_size: int
    host: Batches  # training batches on the CPU (epoch order is drawn there)
    train: Batches  # ... and on the device
    validation: Batches | None
    generator: torch.Generator  # epoch order, on the CPU
    noise: torch.Generator  # augmentation, on the data's device


def _prepare(train, validation, config, shape, device, log_prefix) -> _Loop:
    torch.manual_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    noise = generator
    if device.type != "cpu":
        noise = torch.Generator(device).manual_seed(config.seed)
    host = make_batches(train, config.window)
    on_device = host.to(device)  # moved once; batches indexed there
    held = make_batches(validation, config.window).to(device) if validation else None
    model = SequenceClassifier(config.model, shape).to(device)
    weights = class_weights(train["y"], shape.n_classes, config.loss)
    optimizer = torch.optim.AdamW(
        model.parameters(),
        lr=config.optimizer.learning_rate,
        weight_decay=config.optimizer.weight_decay,
    )
    n = len(on_device.y)
    batch_size = min(config.batch_size, -(-n // config.min_batches))
    if batch_size < config.batch_size:
        logger.info("%sbatch size %d (train.min_batches)", log_prefix, batch_size)
    steps_per_epoch = -(-n // batch_size)
    if config.sampling.method == "replicate":
        counts = np.bincount(host.y.numpy(), minlength=shape.n_classes)
        steps_per_epoch = -(-int(counts.max()) * shape.n_classes // batch_size)
    return _Loop(
        config=config,
        device=device,
        model=model,
        criterion=SequenceLoss(weights, config.loss).to(device),
        optimizer=optimizer,
        scaler=torch.amp.GradScaler(device.type, enabled=config.precision == "fp16"),
        scheduler=make_scheduler(optimizer, config, steps_per_epoch),
        batch_size=batch_size,
        host=host,
        train=on_device,
        validation=held,
        generator=generator,
        noise=noise,
    )


def _train_step(loop: _Loop, index: torch.Tensor, epoch: int, log_prefix: str):
    """One optimizer step on the rows ``index``; returns (loss sum, rows)."""
    config, model = loop.config, loop.model
    x, lengths, static, y = loop.train.take(index)
    x = augment(x, lengths, config.augmentation, loop.noise)
    loop.optimizer.zero_grad(set_to_none=True)
    with autocast(loop.device, config.precision):
        logits = model(x, lengths, static)
    loss = loop.criterion(logits.float(), y)
    loss = loss + weight_penalty(model, config.optimizer.l1, config.optimizer.l2)
    if not torch.isfinite(loss):
        raise TrainingDivergedError(
            f"{log_prefix}The training loss became {loss.item()} in epoch {epoch}: "
            "lower train.optimizer.learning_rate or set train.gradient_clip."
        )
    loop.scaler.scale(loss).backward()
    if config.gradient_clip > 0:
        loop.scaler.unscale_(loop.optimizer)
        torch.nn.utils.clip_grad_norm_(model.parameters(), config.gradient_clip)
    loop.scaler.step(loop.optimizer)
    loop.scaler.update()
    if config.scheduler.name == "onecycle":
        loop.scheduler.step()
    return loss.item() * len(y), len(y)


def _train_epoch(loop: _Loop, epoch: int, log_prefix: str) -> float:
    """One pass over the training rows in this epoch's order; the mean loss."""
    loop.model.train()
    n_classes = loop.model.shape.n_classes
    order = epoch_order(
        loop.host, loop.config.sampling.method, n_classes, loop.generator
    ).to(loop.device)
    total, seen = 0.0, 0
    for start in range(0, len(order), loop.batch_size):
        loss_sum, rows = _train_step(
            loop, order[start : start + loop.batch_size], epoch, log_prefix
        )
        total, seen = total + loss_sum, seen + rows
    return total / max(seen, 1)


def _evaluate(loop: _Loop, validation: dict) -> tuple[float, float]:
    """Validation macro F1 and log loss of the current weights."""
    probs = predict_proba(
        loop.model, loop.validation, device=loop.device, precision=loop.config.precision
    )
    return macro_f1(validation["y"], probs), mean_log_loss(validation["y"], probs)


def _log_epoch(record: dict, epochs: int, log_prefix: str) -> None:
    logger.info(
        "%sepoch %d/%d loss %.4f val_macro_f1 %s (%.1f s)",
        log_prefix,
        record["epoch"],
        epochs,
        record["train_loss"],
        f"{record['val_macro_f1']:.4f}" if "val_macro_f1" in record else "-",
        record["seconds"],
    )


def _fit(train, validation, config, shape, device, epoch_callback, log_prefix):
    loop = _prepare(train, validation, config, shape, device, log_prefix)
    result = FitResult(model=loop.model, shape=shape, window=config.window)
    stopping = EarlyStopping(config)
    show_bar = config.progress_bar and sys.stderr.isatty()
    epochs = range(1, config.epochs + 1)
    for epoch in tqdm(
        epochs, desc=log_prefix or "train", disable=not show_bar, leave=False
    ):
        started = time.perf_counter()
        record = {
            "epoch": epoch,
            "train_loss": _train_epoch(loop, epoch, log_prefix),
            "learning_rate": loop.optimizer.param_groups[0]["lr"],
        }
        if loop.validation is not None:
            val_f1, val_loss = _evaluate(loop, validation)
            record["val_macro_f1"], record["val_loss"] = val_f1, val_loss
            stopping.update(loop.model, epoch, val_f1, val_loss)
        step_per_epoch(loop.scheduler, config, record)
        record["seconds"] = round(time.perf_counter() - started, 3)
        result.history.append(record)
        _log_epoch(record, config.epochs, log_prefix)
        if epoch_callback is not None and "val_macro_f1" in record:
            epoch_callback(epoch, record["val_macro_f1"])
        if loop.validation is not None and stopping.should_stop():
            logger.info(
                "%searly stop after epoch %d; best epoch %d (macro F1 %.4f)",
                log_prefix,
                epoch,
                stopping.best_epoch,
                stopping.best_f1,
            )
            break
    if stopping.best_state is not None:
        loop.model.load_state_dict(stopping.best_state)
        result.best_epoch, result.best_val_macro_f1 = (
            stopping.best_epoch,
            stopping.best_f1,
        )
    else:
        result.best_epoch = len(result.history)
    loop.model.eval()
    return result

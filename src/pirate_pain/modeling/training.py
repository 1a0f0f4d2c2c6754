"""The one training function used by train, tune, ensemble and benchmark."""

from __future__ import annotations

import copy
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from sklearn.metrics import f1_score
from tqdm.auto import tqdm

from ..errors import UserInputError
from .batches import Batches, augment, epoch_order, make_batches
from .config import ROCKET_KINDS, TrainConfig, check_against_data
from .data import concat_model_inputs
from .decision import apply_decision, fitted_decision
from .losses import SequenceLoss, class_weights, weight_penalty
from .model import ModelShape, SequenceClassifier
from .rocket import RocketFit, fit_rocket
from .runtime import autocast, compute_settings, describe_device, resolve_device

logger = logging.getLogger(__name__)

EpochCallback = Callable[[int, float], None]


class TrainingDivergedError(UserInputError):
    """The loss became NaN or infinite."""


@dataclass
class FitResult:
    model: SequenceClassifier
    shape: ModelShape
    history: list[dict] = field(default_factory=list)
    best_epoch: int = 0
    best_val_macro_f1: float | None = None
    decision: dict | None = None  # the fitted macro_f1 rule (decision.py), or None

    def probabilities(self, data: dict, window, decision: bool = True) -> np.ndarray:
        """(N, K) probabilities on ``data``, the decision rule applied (``decision``:
        false gives the model's own)."""
        probs = predict_proba(self.model, make_batches(data, window))
        return apply_decision(probs, self.decision) if decision else probs


def model_shape(data: dict) -> ModelShape:
    """Input width, class count and categorical sizes of a model input dict."""
    return ModelShape(
        n_features=int(data["x"].shape[2]),
        n_classes=len(data["class_names"]),
        static_cardinalities=[int(c) for c in data["static_cardinalities"]],
    )


def predict_proba(
    model: SequenceClassifier,
    batches: Batches,
    batch_size: int = 512,
    device: torch.device | None = None,
    precision: str = "fp32",
) -> np.ndarray:
    """Class probabilities (n_sequences, K); windows are averaged per sequence.

    Runs where the model's parameters are (``device``: move the model there first).
    """
    device = device or next(model.parameters()).device
    model.to(device).eval()
    on_device = batches.to(device)
    outputs = []
    with torch.no_grad(), autocast(device, precision):
        for start in range(0, len(on_device.y), batch_size):
            index = torch.arange(
                start, min(start + batch_size, len(on_device.y)), device=device
            )
            x, lengths, static, _ = on_device.take(index)
            logits = model(x, lengths, static).float()
            outputs.append(torch.softmax(logits, dim=1))
    probs = torch.cat(outputs).cpu().numpy()
    if (
        len(probs) == batches.n_sequences
        and (batches.parent == np.arange(len(probs))).all()
    ):
        return probs
    summed = np.zeros((batches.n_sequences, probs.shape[1]))
    np.add.at(summed, batches.parent, probs)
    counts = np.bincount(batches.parent, minlength=batches.n_sequences)[:, None]
    return summed / np.maximum(counts, 1)


def selection_score(
    config: TrainConfig, val_f1s: list[float], val_loss: float
) -> float:
    """What early stopping maximises: this epoch's validation macro F1, its loss
    (negated), or macro F1 averaged over the last ``smoothing_window`` epochs."""
    if config.early_stopping == "loss":
        return -val_loss
    if config.early_stopping == "smoothed_macro_f1":
        return float(np.mean(val_f1s[-config.smoothing_window :]))
    return val_f1s[-1]


def attach_decision(
    result: FitResult | RocketFit,
    held_out: dict | None,
    config: TrainConfig,
    log_prefix: str = "",
) -> FitResult | RocketFit:
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


def _scheduler(optimizer, config: TrainConfig, steps_per_epoch: int):
    s = config.scheduler
    lr = torch.optim.lr_scheduler
    if s.name == "plateau":
        return lr.ReduceLROnPlateau(
            optimizer,
            mode="max",
            factor=s.plateau_factor,
            patience=s.plateau_patience,
            min_lr=s.min_lr,
        )
    if s.name == "onecycle":
        return lr.OneCycleLR(
            optimizer,
            max_lr=config.optimizer.learning_rate,
            total_steps=config.epochs * steps_per_epoch,
        )
    # per epoch: a linear warm-up, then cosine annealing or a constant rate
    warmup = min(s.warmup_epochs, config.epochs - 1)  # short runs: a shorter ramp
    rest = config.epochs - warmup
    main = None
    if s.name == "cosine":
        main = lr.CosineAnnealingLR(optimizer, T_max=rest, eta_min=s.min_lr)
    if not warmup:
        return main
    ramp = lr.LinearLR(optimizer, start_factor=1 / (warmup + 1), total_iters=warmup)
    main = main or lr.ConstantLR(optimizer, factor=1.0, total_iters=0)
    return lr.SequentialLR(optimizer, [ramp, main], milestones=[warmup])


def fit(
    train: dict,
    validation: dict | None,
    config: TrainConfig,
    epoch_callback: EpochCallback | None = None,
    log_prefix: str = "",
) -> FitResult | RocketFit:
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
        if config.decision_rule == "macro_f1":
            attach_decision(fitted, validation, config, log_prefix)
        return fitted
    device = resolve_device(config.device)
    logger.info(
        "%straining on %s, %s",
        log_prefix,
        describe_device(config.device, device),
        config.precision,
    )
    with compute_settings(config.torch_threads, config.deterministic, device):
        return _fit(
            train, validation, config, shape, device, epoch_callback, log_prefix
        )


def _fit(
    train,
    validation,
    config: TrainConfig,
    shape: ModelShape,
    device: torch.device,
    epoch_callback,
    log_prefix: str,
) -> FitResult:
    torch.manual_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)  # epoch order, on the CPU
    noise = generator  # augmentation draws on the data's device
    if device.type != "cpu":
        noise = torch.Generator(device).manual_seed(config.seed)

    host_batches = make_batches(train, config.window)
    train_batches = host_batches.to(device)  # moved once; batches indexed there
    val_batches = (
        make_batches(validation, config.window).to(device) if validation else None
    )
    model = SequenceClassifier(config.model, shape).to(device)
    weights = class_weights(train["y"], shape.n_classes, config.loss)
    criterion = SequenceLoss(weights, config.loss).to(device)
    scaler = torch.amp.GradScaler(device.type, enabled=config.precision == "fp16")
    optimizer = torch.optim.AdamW(
        model.parameters(),
        lr=config.optimizer.learning_rate,
        weight_decay=config.optimizer.weight_decay,
    )
    batch_size = min(config.batch_size, -(-len(train_batches.y) // config.min_batches))
    if batch_size < config.batch_size:
        logger.info("%sbatch size %d (train.min_batches)", log_prefix, batch_size)
    steps_per_epoch = -(-len(train_batches.y) // batch_size)
    if config.sampling.method == "replicate":
        counts = np.bincount(train_batches.y.numpy(), minlength=shape.n_classes)
        steps_per_epoch = -(-int(counts.max()) * shape.n_classes // batch_size)
    scheduler = _scheduler(optimizer, config, steps_per_epoch)

    result = FitResult(model=model, shape=shape)
    best_state, best_score, best_loss, since_best = None, -np.inf, np.inf, 0
    best_f1, val_f1s = -1.0, []
    show_bar = config.progress_bar and sys.stderr.isatty()
    epochs = tqdm(
        range(1, config.epochs + 1),
        desc=log_prefix or "train",
        disable=not show_bar,
        leave=False,
    )
    for epoch in epochs:
        started = time.perf_counter()
        model.train()
        order = epoch_order(
            host_batches, config.sampling.method, shape.n_classes, generator
        ).to(device)
        total, seen = 0.0, 0
        for start in range(0, len(order), batch_size):
            x, lengths, static, y = train_batches.take(
                order[start : start + batch_size]
            )
            x = augment(x, lengths, config.augmentation, noise)
            optimizer.zero_grad(set_to_none=True)
            with autocast(device, config.precision):
                logits = model(x, lengths, static)
            loss = criterion(logits.float(), y)
            loss = loss + weight_penalty(
                model, config.optimizer.l1, config.optimizer.l2
            )
            if not torch.isfinite(loss):
                raise TrainingDivergedError(
                    f"{log_prefix}The training loss became {loss.item()} in epoch {epoch}: "
                    "lower train.optimizer.learning_rate or set train.gradient_clip."
                )
            scaler.scale(loss).backward()
            if config.gradient_clip > 0:
                scaler.unscale_(optimizer)
                torch.nn.utils.clip_grad_norm_(model.parameters(), config.gradient_clip)
            scaler.step(optimizer)
            scaler.update()
            if config.scheduler.name == "onecycle":
                scheduler.step()
            total += loss.item() * len(y)
            seen += len(y)
        record = {
            "epoch": epoch,
            "train_loss": total / max(seen, 1),
            "learning_rate": optimizer.param_groups[0]["lr"],
        }
        if val_batches is not None:
            probs = predict_proba(
                model, val_batches, device=device, precision=config.precision
            )
            val_f1 = float(
                f1_score(
                    validation["y"],
                    probs.argmax(1),
                    average="macro",
                    labels=range(shape.n_classes),
                    zero_division=0,
                )
            )
            true_p = probs[np.arange(len(probs)), validation["y"]]
            val_loss = float(-np.log(np.clip(true_p, 1e-7, 1.0)).mean())
            record["val_macro_f1"], record["val_loss"] = val_f1, val_loss
            val_f1s.append(val_f1)
            score = selection_score(config, val_f1s, val_loss)
            # equal scores (common on small validation sets): lower loss wins
            if score > best_score + 1e-9 or (
                score > best_score - 1e-9 and val_loss < best_loss
            ):
                best_score, best_loss, since_best = score, val_loss, 0
                best_f1 = val_f1
                best_state = copy.deepcopy(model.state_dict())
                result.best_epoch = epoch
            else:
                since_best += 1
        if config.scheduler.name == "plateau":
            scheduler.step(record.get("val_macro_f1", -record["train_loss"]))
        elif scheduler is not None and config.scheduler.name in ("cosine", "none"):
            scheduler.step()
        record["seconds"] = round(time.perf_counter() - started, 3)
        result.history.append(record)
        logger.info(
            "%sepoch %d/%d loss %.4f val_macro_f1 %s (%.1f s)",
            log_prefix,
            epoch,
            config.epochs,
            record["train_loss"],
            f"{record['val_macro_f1']:.4f}" if "val_macro_f1" in record else "-",
            record["seconds"],
        )
        if epoch_callback is not None and "val_macro_f1" in record:
            epoch_callback(epoch, record["val_macro_f1"])
        if val_batches is not None and since_best >= config.patience:
            logger.info(
                "%searly stop after epoch %d; best epoch %d (macro F1 %.4f)",
                log_prefix,
                epoch,
                result.best_epoch,
                best_f1,
            )
            break
    if best_state is not None:
        model.load_state_dict(best_state)
        result.best_val_macro_f1 = best_f1
    else:
        result.best_epoch = len(result.history)
    model.eval()
    if config.decision_rule == "macro_f1":
        attach_decision(result, validation, config, log_prefix)
    return result

"""Small pieces the training loop calls, one job each: the learning-rate schedule
and the early-stopping rule (which also keeps the best weights)."""

from __future__ import annotations

import copy

import numpy as np
import torch

from .config import TrainConfig


def make_scheduler(optimizer, config: TrainConfig, steps_per_epoch: int):
    """The configured learning-rate schedule, or None."""
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


def step_per_epoch(scheduler, config: TrainConfig, record: dict) -> None:
    """Advance an epoch-wise schedule after an epoch (one-cycle steps per batch)."""
    if config.scheduler.name == "plateau":
        scheduler.step(record.get("val_macro_f1", -record["train_loss"]))
    elif scheduler is not None and config.scheduler.name in ("cosine", "none"):
        scheduler.step()


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


class EarlyStopping:
    """Keeps the weights of the best epoch; says when ``patience`` epochs passed
    without a better one. Equal scores (common on small validation sets): the
    lower validation loss wins."""

    def __init__(self, config: TrainConfig) -> None:
        self.config = config
        self.best_score, self.best_loss, self.since_best = -np.inf, np.inf, 0
        self.best_f1, self.best_epoch, self.best_state = -1.0, 0, None
        self.val_f1s: list[float] = []

    def update(self, model, epoch: int, val_f1: float, val_loss: float) -> None:
        self.val_f1s.append(val_f1)
        score = selection_score(self.config, self.val_f1s, val_loss)
        if score > self.best_score + 1e-9 or (
            score > self.best_score - 1e-9 and val_loss < self.best_loss
        ):
            self.best_score, self.best_loss, self.since_best = score, val_loss, 0
            self.best_f1, self.best_epoch = val_f1, epoch
            self.best_state = copy.deepcopy(model.state_dict())
        else:
            self.since_best += 1

    def should_stop(self) -> bool:
        return self.since_best >= self.config.patience

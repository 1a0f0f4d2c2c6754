"""Deterministic SYNTHETIC data in the exact format of the Pirate Pain challenge.

The real challenge files cannot be redistributed, so a fresh clone trains on this.
What is planted (calibrated on the 11 real sequences in ``shared/data``):

- 40 columns: ``sample_index`` (zero-padded), ``time`` 0..159, ``pain_survey_1..4``
  (ordinal 0-2, mostly 2), ``n_legs`` / ``n_hands`` / ``n_eyes`` (strings that change
  together: about 5 % of sequences are "pirates"), ``joint_00..30``.
- Joint groups with the real statistics: ``joint_00..12`` around 0.65-1.06 with a
  per-sequence level and white noise, ``joint_13..25`` almost always ~0,
  ``joint_26..29`` small with rare bursts, ``joint_30`` constant 0.5.
  ``joint_02`` follows ``joint_00``, ``joint_03`` follows ``joint_01`` and
  ``joint_11`` follows ``joint_10`` (correlation above 0.9).
- The class lives in the temporal dynamics: pain "episodes" (a smooth dip of
  ``joint_04..09`` with a tremor, a burst in ``joint_26..29``, lower survey answers
  while it lasts). Their count is Poisson with a class rate (0.3 / 2.5 / 5.0) and their
  depth grows with the class, so the classes overlap. Per-sequence levels carry no
  class signal, and 4 % of labels are flipped, so no model reaches macro F1 = 1.
- Shares 77 / 14 / 9 % (no_pain / low_pain / high_pain).
- Where each episode lies is written beside the data (``planted_episodes.csv``:
  sample, true class, first step, length), never read by training: the ground truth
  the attributions are tested against.
"""

from __future__ import annotations

import argparse
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .datasets.local_files import write_csv_atomically

logger = logging.getLogger(__name__)

CLASS_NAMES = ("no_pain", "low_pain", "high_pain")
SURVEY_COLUMNS = [f"pain_survey_{i}" for i in range(1, 5)]
DESCRIPTOR_COLUMNS = ["n_legs", "n_hands", "n_eyes"]
PIRATE_VALUES = ["one+peg_leg", "one+hook_hand", "one+eye_patch"]
JOINT_COLUMNS = [f"joint_{i:02d}" for i in range(31)]
CHALLENGE_COLUMNS = ["sample_index", "time", *SURVEY_COLUMNS, *DESCRIPTOR_COLUMNS]
CHALLENGE_COLUMNS += JOINT_COLUMNS
MARKER_FILE = "SYNTHETIC_DATA.md"
TRUTH_FILE = "planted_episodes.csv"  # where each pain episode lies (never trained on)
PLANTED_JOINTS = [f"joint_{i:02d}" for i in range(4, 10)]  # the dip and tremor

# Real per-joint means of joint_00..12 (from the excerpt).
_GROUP_A_MEANS = np.array(
    [0.98, 0.95, 0.90, 0.90, 1.01, 1.01, 0.93, 0.93, 0.85, 0.96, 0.66, 0.65, 1.06]
)
_GROUP_A_SPREAD = np.array(
    [0.12, 0.12, 0.11, 0.08, 0.05, 0.07, 0.06, 0.06, 0.15, 0.10, 0.20, 0.18, 0.07]
)
_EPISODE_RATE = (0.3, 2.5, 5.0)
_EPISODE_DEPTH = (0.05, 0.10, 0.16)


@dataclass(frozen=True)
class SyntheticSpec:
    """Size and shape of a synthetic data set."""

    n_train: int = 661
    n_test: int = 1324
    n_steps: int = 160
    class_shares: tuple[float, float, float] = (0.77, 0.14, 0.09)
    pirate_share: float = 0.05
    label_noise: float = 0.04
    seed: int = 42


def _episode_profile(n_steps: int, rng: np.random.Generator, depth: float):
    """One pain episode: a smooth bump (T,), a tremor (T,) and where it lies
    (first step, number of steps)."""
    length = int(rng.integers(10, 28))
    length = min(length, max(n_steps // 2, 2))  # short test sequences
    start = int(rng.integers(0, n_steps - length + 1))
    bump = np.zeros(n_steps)
    bump[start : start + length] = np.hanning(length) * depth * rng.uniform(0.6, 1.4)
    tremor = np.zeros(n_steps)
    phase = rng.uniform(0, 2 * np.pi)
    steps = np.arange(length)
    tremor[start : start + length] = 0.5 * depth * np.sin(1.3 * steps + phase)
    return bump, tremor, (start, length)


def _one_sequence(label: int, is_pirate: bool, spec: SyntheticSpec, rng):
    """Numeric block (T, 4 + 31) of one sequence (surveys then joints) and the
    ``(start, length)`` of each pain episode planted in it."""
    t = spec.n_steps
    joints = np.zeros((t, 31))
    level = rng.normal(0.0, 1.0) * _GROUP_A_SPREAD
    joints[:, :13] = _GROUP_A_MEANS + level + rng.normal(0, 0.045, (t, 13))
    joints[:, 2] = 0.92 * joints[:, 0] + 0.03 + rng.normal(0, 0.015, t)
    joints[:, 3] = joints[:, 1] - 0.04 + rng.normal(0, 0.015, t)
    joints[:, 11] = 0.95 * joints[:, 10] + rng.normal(0, 0.015, t)
    spikes = rng.random((t, 13)) < 0.01
    joints[:, 13:26] = spikes * rng.exponential(0.01, (t, 13))
    joints[:, 26:30] = rng.exponential(0.04, (t, 4))
    joints[:, 30] = 0.5

    survey_shift = np.zeros(t)
    n_episodes, episodes = rng.poisson(_EPISODE_RATE[label]), []
    for _ in range(n_episodes):
        bump, tremor, where = _episode_profile(t, rng, _EPISODE_DEPTH[label])
        episodes.append(where)
        joints[:, 4:10] -= (bump + tremor)[:, None]
        joints[:, 26:30] += 3.0 * bump[:, None] * rng.uniform(0.5, 1.5, 4)
        survey_shift += bump * 8
    if is_pirate:
        joints[:, 8] -= 0.05
    joints[:, :13] = np.clip(joints[:, :13], 0.0, 1.35)
    joints[:, 26:30] = np.clip(joints[:, 26:30], 0.0, 1.07)

    base = rng.choice(3, size=(t, 4), p=[0.11, 0.14, 0.75])
    lowered = rng.random((t, 4)) < np.clip(survey_shift, 0, 0.9)[:, None]
    surveys = np.where(lowered, np.maximum(base - 1, 0), base)
    return np.concatenate([surveys, joints], axis=1), episodes


def _make_split(n: int, spec: SyntheticSpec, rng, first_index: int = 0):
    """Long-format frame and labels for ``n`` sequences."""
    frame, labels, _ = _make_split_with_truth(n, spec, rng, first_index)
    return frame, labels


def _make_split_with_truth(n: int, spec: SyntheticSpec, rng, first_index: int = 0):
    """Long-format frame, labels and the planted episodes (one row each:
    ``sample_index, true_label, start, length``) of ``n`` sequences."""
    labels = rng.choice(3, size=n, p=np.asarray(spec.class_shares) / 1.0)
    pirates = rng.random(n) < spec.pirate_share
    made = [_one_sequence(labels[i], pirates[i], spec, rng) for i in range(n)]
    values = np.concatenate([block for block, _ in made])
    ids = [f"{first_index + i:03d}" for i in range(n)]
    truth = pd.DataFrame(
        [
            (ids[i], CLASS_NAMES[labels[i]], start, length)
            for i, (_, episodes) in enumerate(made)
            for start, length in episodes
        ],
        columns=["sample_index", "true_label", "start", "length"],
    )
    frame = pd.DataFrame(values[:, 4:], columns=JOINT_COLUMNS)
    frame.insert(0, "sample_index", np.repeat(ids, spec.n_steps))
    frame.insert(1, "time", np.tile(np.arange(spec.n_steps), n))
    for k, column in enumerate(SURVEY_COLUMNS):
        frame.insert(2 + k, column, values[:, k].astype(int))
    for k, column in enumerate(DESCRIPTOR_COLUMNS):
        per_sequence = np.where(pirates, PIRATE_VALUES[k], "two")
        frame.insert(6 + k, column, np.repeat(per_sequence, spec.n_steps))
    flipped = rng.random(n) < spec.label_noise
    noisy = np.where(flipped, rng.integers(0, 3, n), labels)
    label_frame = pd.DataFrame(
        {"sample_index": ids, "label": [CLASS_NAMES[k] for k in noisy]}
    )
    return frame[CHALLENGE_COLUMNS], label_frame, truth


def write_synthetic_dataset(directory: str | Path, spec: SyntheticSpec) -> Path:
    """Write train, labels and test CSV files in the challenge format.

    Args:
        directory: Folder that receives the files.
        spec: Sizes, shares and seed.

    Returns:
        The folder written.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(spec.seed)
    train, labels, train_truth = _make_split_with_truth(spec.n_train, spec, rng)
    test, test_labels, test_truth = _make_split_with_truth(spec.n_test, spec, rng)
    files = {
        "pirate_pain_train.csv": train,
        "pirate_pain_train_labels.csv": labels,
        "pirate_pain_test.csv": test,
        # Only synthetic data has test labels; they let benchmarks score test predictions.
        "test_labels.csv": test_labels,
        # What was planted, for checks of the attributions; training never reads it.
        TRUTH_FILE: pd.concat(
            [train_truth.assign(split="train"), test_truth.assign(split="test")]
        ),
    }
    for name, frame in files.items():
        write_csv_atomically(frame, directory / name)
    (directory / MARKER_FILE).write_text(
        "# SYNTHETIC data, not the real Pirate Pain challenge data\n\n"
        f"Generated by `pirate_pain.synthetic` with {spec}.\n"
        "See the module docstring for what is planted; "
        f"{TRUTH_FILE} says where each pain episode lies.\n"
    )
    logger.info("Wrote SYNTHETIC challenge-format data to %s (%s).", directory, spec)
    return directory


def ensure_synthetic_dataset(directory: str | Path, spec: SyntheticSpec) -> bool:
    """Generate the synthetic files unless all of them already exist.

    Returns:
        True when files were written.
    """
    directory = Path(directory)
    needed = ["pirate_pain_train.csv", "pirate_pain_train_labels.csv"]
    needed += ["pirate_pain_test.csv", "test_labels.csv", TRUTH_FILE, MARKER_FILE]
    if all((directory / name).exists() for name in needed):
        return False
    write_synthetic_dataset(directory, spec)
    return True


def main(argv: list[str] | None = None) -> None:
    """Command line: ``python -m pirate_pain.synthetic --out DIR``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="data/01_raw/synthetic")
    parser.add_argument("--n-train", type=int, default=661)
    parser.add_argument("--n-test", type=int, default=1324)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    spec = SyntheticSpec(n_train=args.n_train, n_test=args.n_test, seed=args.seed)
    write_synthetic_dataset(args.out, spec)


if __name__ == "__main__":
    main()

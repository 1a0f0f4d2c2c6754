"""A node's code fingerprint covers the project code it reaches, and nothing else."""

from __future__ import annotations

import functools
import shutil
from pathlib import Path

import pirate_pain.modeling.model as model_module
import pirate_pain.pipelines.report.nodes as report_module
from pirate_pain.fingerprints import code_hash
from pirate_pain.pipelines.ensemble.nodes import member_parameters
from pirate_pain.pipelines.report.nodes import build_report
from pirate_pain.pipelines.train.nodes import train_model


def _edited_copy(module, tmp_path: Path, monkeypatch) -> None:
    """Point ``module`` at a copy of its file with one line added."""
    copy = tmp_path / Path(module.__file__).name
    shutil.copy(module.__file__, copy)
    with open(copy, "a") as handle:
        handle.write("\nEDITED = True\n")
    monkeypatch.setattr(module, "__file__", str(copy))


def test_editing_the_model_module_changes_training_not_the_report(
    tmp_path, monkeypatch
):
    train_before, report_before = code_hash(train_model), code_hash(build_report)
    _edited_copy(model_module, tmp_path, monkeypatch)
    assert code_hash(train_model) != train_before
    assert code_hash(build_report) == report_before


def test_editing_the_report_nodes_leaves_training_alone(tmp_path, monkeypatch):
    train_before, report_before = code_hash(train_model), code_hash(build_report)
    _edited_copy(report_module, tmp_path, monkeypatch)
    assert code_hash(train_model) == train_before
    # a module constant the report reads is part of the report's code
    monkeypatch.setattr(report_module, "STYLE", report_module.STYLE + "p{}")
    assert code_hash(build_report) != report_before
    assert code_hash(train_model) == train_before


def test_bound_arguments_are_part_of_the_code():
    one = functools.partial(member_parameters, member="bigru", seed=1)
    two = functools.partial(member_parameters, member="bigru", seed=2)
    assert code_hash(one) != code_hash(two)
    assert code_hash(one) == code_hash(
        functools.partial(member_parameters, member="bigru", seed=1)
    )

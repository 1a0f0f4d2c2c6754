"""Runs of one project started together never share a save version (``session.py``):
Kedro names a run's versioned outputs after the millisecond its session began, and a
second tuning worker started in the same one failed with "must not exist if
versioning is enabled"."""

from __future__ import annotations

import multiprocessing
import os

from pirate_pain.session import ProjectSession

SESSIONS_PER_PROCESS = 40


def _session_ids(root: str) -> list[str]:
    """In a new process, as ``kedro run`` does: the project's session class."""
    os.environ["PIRATE_PAIN_TRACKING"] = "off"  # settings import nothing of MLflow
    from kedro.framework.project import settings
    from kedro.framework.startup import bootstrap_project

    bootstrap_project(root)
    assert settings.SESSION_CLASS is ProjectSession
    ids = []
    for _ in range(SESSIONS_PER_PROCESS):
        session = settings.SESSION_CLASS.create(project_path=root)
        ids.append(session.session_id)
        session.close()
    return ids


def test_sessions_started_together_get_different_save_versions(project):
    # three processes creating sessions as fast as they can: without the lock, ids
    # of the same millisecond come up within a few dozen sessions
    with multiprocessing.get_context("spawn").Pool(3) as pool:
        ids = [i for part in pool.map(_session_ids, [str(project)] * 3) for i in part]
    assert len(ids) == 3 * SESSIONS_PER_PROCESS
    assert len(set(ids)) == len(ids), sorted(ids)

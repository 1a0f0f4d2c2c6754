"""The project's Kedro session: runs started together never share a save version.

Kedro names every versioned output of a run after the millisecond in which its
session was created (``generate_timestamp``). Two runs of one project whose sessions
start in the same millisecond (two tuning workers started by one script) would both
write ``<dataset>/<version>/`` and the later save fails with "must not exist if
versioning is enabled". ``ProjectSession.create`` (``settings.SESSION_CLASS``, which
``kedro run`` uses) holds a lock of the project folder while Kedro creates the
session and keeps it until the clock has left that millisecond, so the next run on
this machine is named after a later one.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from filelock import FileLock
from kedro.framework.session import KedroSession
from kedro.io.core import generate_timestamp

LOCK_NAME = ".kedro_session.lock"  # in the project folder, git-ignored


class ProjectSession(KedroSession):
    """Kedro's session, created one at a time per project folder."""

    @classmethod
    def create(
        cls, project_path: Path | str | None = None, *args: Any, **kwargs: Any
    ) -> KedroSession:
        root = Path(project_path or Path.cwd())
        with FileLock(root / LOCK_NAME):
            session = super().create(project_path, *args, **kwargs)
            while generate_timestamp() <= session.session_id:
                time.sleep(0.0005)
        return session

"""MLflow runs of processes that died stay ``RUNNING`` for good: a killed
``kedro run`` (SIGKILL, power loss) never reaches the hook that ends its run.

Every run this project opens carries the tag ``pirate_pain.owner``: host, process
id and the process's start time (so a reused process id is not taken for the same
process). When a run starts, every ``RUNNING`` run whose owner on this host no
longer exists is marked ``KILLED``. Runs of other hosts are left alone: from here
nobody can tell whether they are alive.
"""

from __future__ import annotations

import logging
import os
import socket
from pathlib import Path

logger = logging.getLogger(__name__)

OWNER_TAG = "pirate_pain.owner"


def _start_ticks(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux), or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]  # field 22 of proc(5)


def current_owner() -> str:
    """``host:pid:start`` of this process."""
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{_start_ticks(pid) or ''}"


def pid_alive(pid: int) -> bool:
    """A process with this id exists on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, another user's
    return True


def owner_alive(owner: str) -> bool:
    """False only where ``owner`` ran on this host and that process is gone."""
    host, _, rest = owner.partition(":")
    pid_text, _, start = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return True
    pid = int(pid_text)
    if not pid_alive(pid):
        return False
    return not start or _start_ticks(pid) in (None, start)


def mark_dead_runs_killed(client) -> list[str]:
    """End every ``RUNNING`` run whose owner died as ``KILLED``; their ids."""
    experiments = [e.experiment_id for e in client.search_experiments()]
    if not experiments:
        return []
    running = client.search_runs(
        experiments, filter_string="attributes.status = 'RUNNING'", max_results=5000
    )
    killed = []
    for run in running:
        owner = run.data.tags.get(OWNER_TAG)
        if owner and not owner_alive(owner):
            client.set_terminated(run.info.run_id, "KILLED")
            killed.append(run.info.run_id)
    if killed:
        logger.warning(
            "Marked %d MLflow run(s) of processes that no longer exist as KILLED.",
            len(killed),
        )
    return killed

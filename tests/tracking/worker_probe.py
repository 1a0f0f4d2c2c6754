"""A node function whose module imports nothing of this project (see
``test_parallel_workers.py``)."""

from __future__ import annotations


def settings_seen_by_a_worker(_) -> dict:
    """A node: what Kedro's settings say in the process that runs it."""
    from kedro.framework.project import PACKAGE_NAME, settings

    return {
        "package": PACKAGE_NAME,
        "disabled_plugins": list(settings.DISABLE_HOOKS_FOR_PLUGINS),
        "hooks": sorted(type(hook).__name__ for hook in settings.HOOKS),
    }

"""Pain-level classification of multivariate sensor sequences with Kedro and PyTorch."""

__version__ = "0.1.0"


def _switch_off_plugin_tracking_in_workers() -> None:
    """A ``ParallelRunner`` worker (spawn) does not load the project's settings, so
    kedro-mlflow's own hook runs there despite ``DISABLE_HOOKS_FOR_PLUGINS`` and
    would log each node's parameters into a new, unnamed run (kedro-mlflow #689).
    In a worker it is switched off; nodes log by run id instead (``tracking.py``)."""
    import multiprocessing

    if multiprocessing.parent_process() is None:
        return
    try:
        from kedro_mlflow.framework.hooks import mlflow_hook
    except ImportError:
        return
    mlflow_hook.run_id = None
    mlflow_hook._is_mlflow_enabled = False


_switch_off_plugin_tracking_in_workers()

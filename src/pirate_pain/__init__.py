"""Pain-level classification of multivariate sensor sequences with Kedro and PyTorch."""

__version__ = "0.1.0"


def _configure_project_in_workers() -> None:
    """Kedro reads the project's package name inside a ``ParallelRunner`` worker
    (``kedro.runner.task``), where nothing has set it, so the worker keeps Kedro's
    default settings: kedro-mlflow's own hook runs despite
    ``DISABLE_HOOKS_FOR_PLUGINS`` and logs each node's parameters into a new,
    unnamed run (kedro-mlflow #689; the upstream text is in docs/upstream.md).
    Node functions import this package in the worker, so the project's settings
    and pipelines are configured there first (the public ``configure`` of Kedro's
    ``settings`` and ``pipelines``). The package name stays unset: with it set,
    Kedro's worker bootstrap configures logging with its own ``LOGGING`` object
    and recurses without end (Kedro 1.7). ``tests/tracking/test_parallel_workers.py``
    fails when Kedro changes either."""
    import multiprocessing

    if multiprocessing.parent_process() is None:
        return
    try:
        from kedro.framework.project import pipelines, settings
    except ImportError:  # the GPU check's environment has no Kedro
        return
    settings.configure(f"{__name__}.settings")
    pipelines.configure(f"{__name__}.pipeline_registry")


_configure_project_in_workers()

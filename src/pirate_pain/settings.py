"""Project settings: hooks and the configuration loader."""

import os
import warnings

from pirate_pain.configuration import ProjectConfigLoader
from pirate_pain.hooks import ConfigurationHook, FingerprintHook

# ParallelRunner workers start fresh ("spawn"): a forked child of a process that has
# already run torch's OpenMP thread pool can hang.
os.environ.setdefault("KEDRO_MP_CONTEXT", "spawn")

HOOKS = (ConfigurationHook(), FingerprintHook())

# pipelines are shaped by the run's resolved configuration (see configuration.py)
CONFIG_LOADER_CLASS = ProjectConfigLoader
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    # an environment holds only what it changes: keys are deep-merged into base
    # (lists are replaced whole)
    "merge_strategy": {"globals": "soft", "parameters": "soft"},
}

# Library notices that say nothing to a user of this project.
warnings.filterwarnings("ignore", message="register_new_resolver", category=UserWarning)
warnings.filterwarnings("ignore", message="One or more dataset names contain '.'")

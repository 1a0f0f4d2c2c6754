"""Project settings: hooks and the configuration loader."""

from kedro.config import OmegaConfigLoader

from pirate_pain.hooks import DataSourceHook, ParameterCheckHook

HOOKS = (DataSourceHook(), ParameterCheckHook())

CONFIG_LOADER_CLASS = OmegaConfigLoader
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    # an environment's globals.yml overrides single keys; parameter blocks are replaced
    "merge_strategy": {"globals": "soft"},
}

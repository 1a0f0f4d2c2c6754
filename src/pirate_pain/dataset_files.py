"""Which file a catalog entry loads or saved, through Kedro's public API only.

``DataCatalog.to_config()`` gives each dataset's ``filepath`` and whether it is
versioned; ``resolve_load_version()`` / ``resolve_save_version()`` give the
version; Kedro lays a versioned file out as ``<filepath>/<version>/<file name>``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _file_settings(config: dict[str, Any]) -> tuple[str | None, bool]:
    """``filepath`` and whether it is versioned, from one entry of ``to_config``."""
    arguments = config.get("kwargs", config)  # the project's own datasets: kwargs
    versioned = bool(arguments.get("versioned")) or arguments.get("version") is not None
    return arguments.get("filepath"), versioned


def dataset_file(catalog, name: str, saved: bool = False) -> Path | None:
    """The file ``name`` loads now, or (``saved``) the one this run saves; None for
    a dataset without a file, a memory dataset or a version not written yet."""
    config = catalog.to_config()[0].get(name)
    if config is None:
        return None
    filepath, versioned = _file_settings(config)
    if filepath is None:
        return None
    path = Path(filepath)
    if not versioned:
        return path
    dataset = catalog.get(name)
    try:
        version = (
            dataset.resolve_save_version() if saved else dataset.resolve_load_version()
        )
    except Exception:  # noqa: BLE001 - no version written yet
        return None
    return path / version / path.name if version else None

"""The raw folder for synthetic data and public benchmarks: written once, as a step
of the run that needs it (``hooks.ConfigurationHook``), never by loading a dataset."""

from __future__ import annotations

from pathlib import Path

from .parameters import DataSource


def write_raw_data(source: DataSource, raw_dir: Path) -> bool:
    """Write synthetic data or convert a public benchmark into ``raw_dir`` unless it
    is there already; real challenge files are never made.

    Returns:
        True when files were written.
    """
    if source.data_source == "synthetic":
        from .synthetic import SyntheticSpec, ensure_synthetic_dataset

        spec = SyntheticSpec(**source.synthetic.model_dump())
        return ensure_synthetic_dataset(raw_dir, spec)
    if source.data_source == "public":
        from .public_data import ensure_public_dataset

        return ensure_public_dataset(source.public_dataset, raw_dir)
    return False

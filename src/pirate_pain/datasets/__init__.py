"""Project datasets: safe, atomic, optionally versioned local files."""

from .arrays import NpzDataset
from .optional import OptionalDataset
from .optuna_storage import OptunaStorageDataset
from .sequences_csv import SequenceCSVDataset
from .torch_model import TorchModelDataset

__all__ = [
    "NpzDataset",
    "OptionalDataset",
    "OptunaStorageDataset",
    "SequenceCSVDataset",
    "TorchModelDataset",
]

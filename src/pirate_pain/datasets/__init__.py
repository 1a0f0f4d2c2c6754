"""Project datasets: safe, atomic, optionally versioned local files."""

from .arrays import NpzDataset
from .optional import OptionalCSVDataset, OptionalJSONDataset
from .optuna_storage import OptunaStorageDataset
from .sequences_csv import SequenceCSVDataset
from .torch_model import TorchModelDataset

__all__ = [
    "NpzDataset",
    "OptionalCSVDataset",
    "OptionalJSONDataset",
    "OptunaStorageDataset",
    "SequenceCSVDataset",
    "TorchModelDataset",
]

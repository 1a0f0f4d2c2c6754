"""Project datasets: safe, atomic, optionally versioned local files."""

from .arrays import NpzDataset
from .sequences_csv import SequenceCSVDataset
from .torch_model import TorchModelDataset

__all__ = ["NpzDataset", "SequenceCSVDataset", "TorchModelDataset"]

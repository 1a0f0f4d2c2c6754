"""Pain-level classification of multivariate sensor sequences with Kedro and PyTorch."""

__version__ = "0.1.0"

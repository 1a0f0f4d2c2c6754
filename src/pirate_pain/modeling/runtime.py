"""Where and how tensors are computed: device, precision, CPU threads, denormals.

``resolve_device`` turns ``auto | cpu | cuda | cuda:N | mps`` into a device (or one
sentence when it is not there); ``compute_settings`` sets threads, denormal
flushing and deterministic algorithms for the length of a ``fit`` or a prediction
and restores the caller's settings afterwards.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator

import torch

from ..errors import UserInputError

logger = logging.getLogger(__name__)

AUTOCAST_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def _mps_available() -> bool:
    return (
        bool(getattr(torch.backends, "mps", None)) and torch.backends.mps.is_available()
    )


def resolve_device(name: str, where: str = "train.device") -> torch.device:
    """The device ``name`` stands for on this machine; one sentence if absent."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps") if _mps_available() else torch.device("cpu")
    device = torch.device(name)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise UserInputError(
                f"{where} is '{name}' but this machine has no CUDA device: use auto "
                "or cpu."
            )
        count = torch.cuda.device_count()
        if device.index is not None and device.index >= count:
            raise UserInputError(
                f"{where} is '{name}' but this machine has {count} CUDA device(s) "
                f"(cuda:0 to cuda:{count - 1}): pick one of them, or auto."
            )
    if device.type == "mps" and not _mps_available():
        raise UserInputError(
            f"{where} is '{name}' but this machine has no MPS device: use auto or cpu."
        )
    return device


def describe_device(name: str, device: torch.device) -> str:
    """Which device a run uses, and why (for the log)."""
    if name != "auto":
        return f"{device} (as configured)"
    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)}; auto: CUDA found)"
    if device.type == "mps":
        return "mps (auto: no CUDA, MPS found)"
    return "cpu (auto: no CUDA or MPS device)"


def default_threads() -> int:
    """Intra-op threads when none are configured: half the cores, at least one.

    Measured (README, "Speed"): with every core, a training stalls as soon as
    anything else uses the CPU; half the cores leaves room for a second training or
    another process at little cost alone.
    """
    return max(1, (os.cpu_count() or 2) // 2)


def _flush_denormal_enabled() -> bool:
    """Whether denormal floats are flushed now (torch has no getter: probe it)."""
    return (torch.tensor([1e-39], dtype=torch.float32) * 1.0).item() == 0.0


@contextlib.contextmanager
def compute_settings(
    threads: int, deterministic: bool = False, device: torch.device | None = None
) -> Iterator[None]:
    """Threads (0: ``default_threads()``), flushed denormals and, when asked,
    deterministic algorithms inside the block; the caller's settings after it."""
    previous_threads = torch.get_num_threads()
    previous_flush = _flush_denormal_enabled()
    previous_deterministic = torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(threads if threads > 0 else default_threads())
    # recurrent states drift into denormal floats, which the CPU handles ~100x slower
    torch.set_flush_denormal(True)
    if deterministic:
        if device is not None and device.type == "cuda":
            os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True)
    try:
        yield
    finally:
        torch.set_num_threads(previous_threads)
        torch.set_flush_denormal(previous_flush)
        torch.use_deterministic_algorithms(previous_deterministic)


def autocast(device: torch.device, precision: str):
    """Autocast to bf16 / fp16 on ``device``; a no-op context for fp32."""
    if precision == "fp32":
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=AUTOCAST_DTYPES[precision])

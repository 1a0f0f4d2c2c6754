"""Node fingerprints for change-aware reruns (``kedro rerun``).

A node's fingerprint is the hash of its code, of each parameter block it reads and
of the content of each dataset it loads (the version loaded, for versioned ones).
The hook records it after every successful node run; ``kedro rerun`` runs the nodes
whose fingerprint differs, and everything downstream of them.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import os
from pathlib import Path
from typing import Any

from kedro.pipeline import Pipeline

STORE = Path("data") / ".fingerprints"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def code_hash(func) -> str:
    """Hash of a node function's source (through ``functools.partial``)."""
    while isinstance(func, functools.partial):
        func = func.func
    try:
        return _sha(inspect.getsource(func).encode())
    except (OSError, TypeError):
        return _sha(repr(func).encode())


def value_hash(value: Any) -> str:
    return _sha(json.dumps(value, sort_keys=True, default=str).encode())


@functools.lru_cache(maxsize=256)
def _file_hash(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def dataset_hash(catalog, name: str) -> str | None:
    """Content hash of the file a dataset loads now; None when it has no file."""
    try:
        dataset = catalog.get(name)
    except Exception:  # noqa: BLE001 - not in the catalog: a memory dataset
        return None
    path = None
    try:
        path = dataset._get_load_path()  # versioned: the version that would load
    except Exception:  # noqa: BLE001 - unversioned datasets have no such method
        path = getattr(dataset, "_filepath", None)
    if path is None or not os.path.isfile(str(path)):
        return None
    stat = os.stat(str(path))
    return _file_hash(str(path), stat.st_size, stat.st_mtime_ns)


def fingerprint(node, catalog, params: dict[str, Any]) -> dict[str, str]:
    """The current fingerprint of ``node``: code, parameters and input contents."""
    parts = {"code": code_hash(node.func)}
    for name in node.inputs:
        if name.startswith("params:"):
            value: Any = params
            for key in name.removeprefix("params:").split("."):
                value = value.get(key) if isinstance(value, dict) else None
            parts[name] = value_hash(value)
        else:
            parts[name] = dataset_hash(catalog, name) or "missing"
    return parts


def _store_path(root: Path, node_name: str) -> Path:
    return root / STORE / f"{node_name}.json"


def record(root: Path, node_name: str, parts: dict[str, str]) -> None:
    path = _store_path(root, node_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(parts, sort_keys=True))
    tmp.replace(path)


def recorded(root: Path, node_name: str) -> dict[str, str] | None:
    path = _store_path(root, node_name)
    return json.loads(path.read_text()) if path.exists() else None


def changed_nodes(
    pipeline: Pipeline, catalog, params: dict[str, Any], root: Path
) -> tuple[list[str], dict[str, str]]:
    """Nodes to rerun (changed ones and all downstream) and why each changed one is."""
    reasons: dict[str, str] = {}
    to_run: set[str] = set()
    for node in pipeline.nodes:  # topological order
        if node.name in to_run:
            continue
        before = recorded(root, node.name)
        if before is None:
            reasons[node.name] = "never ran successfully"
        else:
            now = fingerprint(node, catalog, params)
            diffs = [k for k in now if now[k] != before.get(k)]
            if diffs:
                reasons[node.name] = ", ".join(
                    "code changed"
                    if k == "code"
                    else f"parameters {k.removeprefix('params:')} changed"
                    if k.startswith("params:")
                    else f"input {k} changed"
                    for k in diffs
                )
        if node.name in reasons:
            to_run |= {n.name for n in pipeline.from_nodes(node.name).nodes}
    ordered = [n.name for n in pipeline.nodes if n.name in to_run]
    return ordered, reasons

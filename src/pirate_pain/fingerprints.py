"""Node fingerprints for change-aware reruns (``kedro rerun``).

A node's fingerprint is the hash of the project code it runs, of each parameter
block it reads and of the content of each dataset it loads (the version loaded, for
versioned ones). The code is the node function, the functions and classes of its own
module it calls, and every project module those reach through their imports (so an
edit of ``modeling/model.py`` changes the training node, an edit of the report nodes
does not). The hook records fingerprints after every successful node run (and, for
runners that skip node hooks, after the whole run); ``kedro rerun`` runs the nodes
whose fingerprint differs, and everything downstream of them.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import os
import sys
import types
from pathlib import Path
from typing import Any

from kedro.pipeline import Pipeline

from .dataset_files import dataset_file

STORE = Path("data") / ".fingerprints"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


PROJECT = __name__.split(".")[0]
PLAIN_VALUES = (str, int, float, bool, tuple, list, dict, frozenset, bytes)


def code_hash(func) -> str:
    """Hash of the project code a node function runs (see the module docstring)."""
    bound = ""
    while isinstance(func, functools.partial):
        bound += repr(sorted(func.keywords.items())) + repr(func.args)
        func = func.func
    sources: dict[str, str] = {"bound": bound}
    _visit_function(func, sources, set())
    return _sha(json.dumps(sources, sort_keys=True).encode())


def _in_project(obj: Any) -> bool:
    name = obj.__name__ if isinstance(obj, types.ModuleType) else obj.__module__
    return isinstance(name, str) and name.split(".")[0] == PROJECT


def _global_names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


def _visit_function(func, sources: dict[str, str], seen: set[str]) -> None:
    """The function's source, same-module callees, and other modules it reaches."""
    key = f"{func.__module__}.{func.__qualname__}"
    if key in seen:
        return
    seen.add(key)
    try:
        sources[key] = inspect.getsource(func)
    except (OSError, TypeError):
        sources[key] = repr(func)
    code = getattr(func, "__code__", None)
    if code is None:
        return
    for name in _global_names(code):
        obj = func.__globals__.get(name)
        if isinstance(obj, PLAIN_VALUES):  # a module constant, e.g. a style sheet
            sources[f"{func.__module__}.{name}"] = repr(obj)
            continue
        if obj is None or not _reachable(obj):
            continue
        if isinstance(obj, types.ModuleType):
            _visit_module(obj, sources, seen)
        elif obj.__module__ == func.__module__ and inspect.isfunction(obj):
            _visit_function(obj, sources, seen)
        else:
            _visit_module(sys.modules[obj.__module__], sources, seen)


def _reachable(obj: Any) -> bool:
    if isinstance(obj, types.ModuleType):
        return _in_project(obj)
    if inspect.isfunction(obj) or inspect.isclass(obj):
        return _in_project(obj)
    return False


def _visit_module(module: types.ModuleType, sources: dict[str, str], seen) -> None:
    """A project module's whole file and every project module it imports from."""
    if module.__name__ in seen:
        return
    seen.add(module.__name__)
    path = getattr(module, "__file__", None)
    sources[module.__name__] = Path(path).read_text() if path else ""
    for value in list(vars(module).values()):
        if isinstance(value, types.ModuleType) and _in_project(value):
            _visit_module(value, sources, seen)
        elif _reachable(value) and value.__module__ in sys.modules:
            _visit_module(sys.modules[value.__module__], sources, seen)


def value_hash(value: Any) -> str:
    if hasattr(value, "model_dump"):
        value = value.model_dump(mode="json")
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
    path = dataset_file(catalog, name)  # versioned: the version that would load
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

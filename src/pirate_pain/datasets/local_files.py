"""Shared base: a local, optionally versioned file written atomically."""

from __future__ import annotations

import glob
import os
import re
import shutil
from pathlib import Path, PurePosixPath
from typing import Any

from kedro.io import AbstractVersionedDataset
from kedro.io.core import DatasetError, Version

from ..errors import UserInputError


class LocalFileDataset(AbstractVersionedDataset):
    """A file on the local disk; saves go to a temporary file, then a rename.

    Paths come from Kedro's public ``resolve_load_version()`` /
    ``resolve_save_version()`` and Kedro's layout ``<filepath>/<version>/<name>``.
    """

    def __init__(
        self,
        filepath: str,
        version: Version | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self.metadata = metadata
        self.filepath = PurePosixPath(Path(filepath).as_posix())
        self.version = version
        super().__init__(
            filepath=self.filepath,
            version=version,
            exists_function=os.path.exists,
            glob_function=glob.glob,
        )

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self.filepath), "version": self.version}

    def _exists(self) -> bool:
        try:
            return self._load_path().exists()
        except DatasetError:
            return False

    def _versioned(self, version: str | None) -> Path:
        if version is None:
            return Path(self.filepath)
        return Path(self.filepath) / version / self.filepath.name

    def _load_path(self) -> Path:
        return self._versioned(self.resolve_load_version())

    def _save_path(self) -> Path:
        path = self._versioned(self.resolve_save_version())
        if self.version is not None and path.exists():
            raise DatasetError(
                f"Save path '{path}' of {self.filepath} must not exist: another run "
                "saved this version already."
            )
        return path

    def _existing_load_path(self) -> Path:
        """The file to load; a missing one is a user error that says what to run."""
        try:
            path = self._load_path()
        except DatasetError:  # versioned, and no version written yet
            path = None
        if (path is None or not path.exists()) and self.version and self.version.load:
            raise UserInputError(
                f"Version {self.version.load} of {self.filepath} does not exist: "
                f"pick one of the folders in {self.filepath} (--load-versions)."
            )
        if path is None or not path.exists():
            raise UserInputError(
                f"{self.filepath} does not exist yet: run the pipeline that writes it "
                "first (README, Pipelines)."
            )
        return path

    def _write_atomically(self, write) -> None:
        """Call ``write(tmp_path)`` and move the result into place in one rename.

        A versioned save writes its version folder in a hidden staging folder
        beside the dataset's folder and renames it into place; where the dataset's
        folder does not exist yet, the staging folder becomes it. A killed run
        leaves only the hidden staging folder, never an empty visible folder.
        """
        target = self._save_path()
        if self.version is not None:
            _rename_version_into_place(target, write)
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            write(tmp)
            tmp.replace(target)
        finally:
            tmp.unlink(missing_ok=True)


def _rename_version_into_place(target: Path, write) -> None:
    """``<dataset>/<version>/<file>``: staged as ``.<dataset>.<pid>.tmp/<version>/``."""
    version_folder, dataset_folder = target.parent, target.parent.parent
    dataset_folder.parent.mkdir(parents=True, exist_ok=True)
    staging = dataset_folder.with_name(f".{dataset_folder.name}.{os.getpid()}.tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staged_version = staging / version_folder.name
    staged_version.mkdir(parents=True)
    try:
        write(staged_version / target.name)
        try:  # the first version: the whole dataset folder appears at once
            staging.rename(dataset_folder)
        except OSError:  # the dataset folder exists: only the version moves in
            staged_version.rename(version_folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def write_csv_atomically(frame, path: Path) -> None:
    """Write a CSV file through a temporary file, so readers never see half of it."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        frame.to_csv(tmp, index=False, float_format="%.7g")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


_TMP = re.compile(r"\.(\d+)\.tmp")  # the writer's process id, as written above


def remove_stale_writes(root: Path) -> list[Path]:
    """Temporary files of writers that no longer exist (a killed run) under
    ``root``, and the version folders they leave empty; the removed paths."""
    from ..dead_runs import pid_alive

    removed = []
    for tmp in sorted(root.rglob("*.tmp*")):
        found = _TMP.search(tmp.name)
        if found is None or pid_alive(int(found[1])) or not tmp.exists():
            continue
        if tmp.is_dir():  # a version folder's staging folder
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)
        removed.append(tmp)
        if tmp.parent != root and not any(tmp.parent.iterdir()):
            tmp.parent.rmdir()
            removed.append(tmp.parent)
    return removed

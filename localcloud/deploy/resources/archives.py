"""Writing Pulumi assets and archives (as the SDK hands them to the mocks) into a folder.

Beside each extracted folder, `<folder>.sources.json` maps every file of it that was copied
from a file of the project to that file (absolute path), so that the running local cloud can
copy a saved file again (hot reload) without re-running the program.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tarfile
import zipfile

import pulumi

_SKIP = shutil.ignore_patterns("__pycache__", "*.pyc")


SOURCES_SUFFIX = ".sources.json"


def extract(archive, target: str, base_dir: str) -> None:
    """Materialise `archive` under `target` (replaced), resolving relative paths from base_dir,
    and record where its files came from (`sources`)."""
    if os.path.isdir(target):
        shutil.rmtree(target)
    os.makedirs(target)
    copied: dict[str, str] = {}
    _write_archive(archive, target, base_dir, copied)
    with open(target + SOURCES_SUFFIX, "w", encoding="utf-8") as handle:
        json.dump({os.path.relpath(dest, target): source for dest, source in copied.items()},
                  handle, indent=1, sort_keys=True)


def sources(target: str) -> dict[str, str]:
    """The extracted folder's files (relative) -> the project files they were copied from."""
    try:
        with open(target + SOURCES_SUFFIX, encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        return {}


def _path(path: str, base_dir: str) -> str:
    return os.path.realpath(path if os.path.isabs(path) else os.path.join(base_dir, path))


def _write_archive(archive, target: str, base_dir: str, copied: dict[str, str]) -> None:
    if isinstance(archive, pulumi.AssetArchive):
        for name, item in archive.assets.items():
            destination = os.path.join(target, name)
            if isinstance(item, pulumi.Archive):
                os.makedirs(destination, exist_ok=True)
                _write_archive(item, destination, base_dir, copied)
            else:
                _write_asset(item, destination, base_dir, copied)
    elif isinstance(archive, pulumi.FileArchive):
        source = _path(archive.path, base_dir)
        if os.path.isdir(source):
            shutil.copytree(source, target, ignore=_SKIP, dirs_exist_ok=True)
            for folder, dirs, files in os.walk(source):
                dirs[:] = [d for d in dirs if d != "__pycache__"]
                for name in files:
                    if not name.endswith(".pyc"):
                        path = os.path.join(folder, name)
                        copied[os.path.join(target, os.path.relpath(path, source))] = path
        elif zipfile.is_zipfile(source):
            with zipfile.ZipFile(source) as zipped:
                zipped.extractall(target)
        else:
            with tarfile.open(source) as tarred:
                tarred.extractall(target, filter="data")
    else:
        raise ValueError(f"unsupported archive {type(archive).__name__} (remote archives "
                         "cannot be fetched locally)")


def _write_asset(asset, destination: str, base_dir: str, copied: dict[str, str]) -> None:
    os.makedirs(os.path.dirname(destination) or ".", exist_ok=True)
    if isinstance(asset, pulumi.FileAsset):
        copied[destination] = _path(asset.path, base_dir)
        shutil.copyfile(copied[destination], destination)
    elif isinstance(asset, pulumi.StringAsset):
        with open(destination, "w", encoding="utf-8") as handle:
            handle.write(asset.text)
    else:
        raise ValueError(f"unsupported asset {type(asset).__name__}")


def placeholder_zip() -> bytes:
    """moto wants a zip for every function and layer; the real code lives on disk instead."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zipped:
        zipped.writestr("README.txt", "Code served by the local cloud from its state folder.\n")
    return buffer.getvalue()

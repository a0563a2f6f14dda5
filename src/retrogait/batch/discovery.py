"""Which files a batch analyzes: files, folders (searched recursively) and glob patterns."""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable
from pathlib import Path

from retrogait.errors import InputFileError

#: Suffixes picked up when a folder is searched (a file named explicitly may have any suffix).
FOLDER_SUFFIXES = (".rgt", ".csv", ".tsv", ".mat")
GLOB_CHARS = "*?["


def _scan_folder(folder: Path, exclude: list[Path]) -> list[Path]:
    out: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".")
                             and not any((here / d).resolve() == e for e in exclude))
        out.extend(here / f for f in filenames
                   if not f.startswith(".") and Path(f).suffix.lower() in FOLDER_SUFFIXES)
    return out


def find_files(paths: Iterable[str | os.PathLike], exclude: Iterable[str | os.PathLike] = ()) -> list[Path]:
    """The recordings named by ``paths``: absolute, resolved, de-duplicated and sorted.

    A file is taken as it is (any suffix); a folder is searched recursively for ``.rgt``, ``.csv``,
    ``.tsv`` and ``.mat`` files (hidden files and folders skipped); a path with ``*``, ``?`` or ``[``
    that does not exist as such is a glob pattern (``**`` spans folders). Folders in ``exclude`` (the
    output folder) are never searched. Raises :class:`InputFileError` for a path that is neither a file,
    a folder nor a pattern matching something, and when nothing at all is found.
    """
    excluded = [Path(e).resolve() for e in exclude]
    found: set[Path] = set()
    names = [str(p) for p in paths]
    for name in names:
        path = Path(name).expanduser()
        if path.exists():
            matches = [path]
        elif any(c in name for c in GLOB_CHARS):
            matches = [Path(m) for m in glob.glob(os.path.expanduser(name), recursive=True)]
            if not matches:
                raise InputFileError(f"{name}: the pattern matches no file")
        else:
            raise InputFileError(f"{name}: no such file or folder")
        for m in matches:
            if m.is_dir():
                found.update(p.resolve() for p in _scan_folder(m, excluded))
            elif m.is_file() and not any(m.resolve().is_relative_to(e) for e in excluded):
                found.add(m.resolve())
    if not found:
        raise InputFileError(
            f"{', '.join(names) or '(no paths)'}: no recordings found "
            f"(folders are searched for {', '.join(FOLDER_SUFFIXES)} files)")
    return sorted(found)

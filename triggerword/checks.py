"""What every command checks in what it is given: the files it writes, thresholds and counts.

Files: never over an input, never over a user's file unasked.

Every command that writes a file the user names (``detect --chime/--plot``, ``evaluate
--report/--plot``, ``enroll --out``) checks it with ``check_new_file`` before any work, so a bad name
costs nothing and a finished computation is never lost to it, then writes through a temporary file
beside it (``replace_atomically``), so an interrupted write leaves no half file under the name.
"""
import argparse
import math
import os
from pathlib import Path

from td_utils import _same_file


def number_or_nan(text):
    """``text`` as a float; NaN, which lies inside no range, when it is not a number."""
    try:
        return float(text)
    except ValueError:
        return math.nan


def threshold_arg(text):
    """An argparse type: a probability strictly between 0 and 1 (0 would fire everywhere, 1 never)."""
    value = number_or_nan(text)
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"must be a number between 0 and 1, not {text!r}")
    return value


def at_least(minimum):
    """An argparse type: a whole number no smaller than ``minimum``."""
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            value = minimum - 1
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be a whole number of at least {minimum}, not {text!r}")
        return value
    return parse


def check_new_file(path, option, suffixes, inputs=(), force=False):
    """One line saying why ``option PATH`` may not be written, or None when it may.

    Refused: a folder; a name that does not end with one of ``suffixes`` (the format follows the
    name); any file among ``inputs`` (the same file, through links too); a path under an existing
    file (its "folder" is a file); an existing file unless ``force``. Missing folders are fine: the
    writer makes them.
    """
    path = Path(path)
    if not str(path) or not path.name:
        return f"{option}: no file name given"
    if path.is_dir():
        return f"{option} {path}: is a folder; give a file name"
    if not any(path.name.lower().endswith(s) for s in suffixes):
        ends = suffixes[0] if len(suffixes) == 1 else f"{', '.join(suffixes[:-1])} or {suffixes[-1]}"
        return f"{option} {path}: the name must end with {ends}"
    for item in inputs:
        if item is not None and os.path.exists(item) and _same_file(path, item):
            return f"{option} {path}: that is an input ({item}); write a new file"
    blocker = file_above(path)
    if blocker:
        return f"{option} {path}: {blocker} is a file, not a folder"
    if path.exists() and not force:
        return f"{option} {path}: already exists; choose a new name or pass --force"
    return None


def folder_problem(path, option):
    """One line saying why ``option PATH`` cannot be a folder to write into, or None (missing folders
    are made)."""
    if not path:
        return f"{option}: no folder name given"
    if os.path.exists(path) and not os.path.isdir(path):
        return f"{option} {path}: is a file, not a folder"
    blocker = file_above(path)
    if blocker:
        return f"{option} {path}: {blocker} is a file, not a folder"
    return None


def file_above(path):
    """The nearest existing folder above ``path`` when it is in fact a file (nothing can be made
    under it), else None."""
    for parent in Path(os.path.abspath(path)).parents:
        if parent.exists():
            return None if parent.is_dir() else parent
    return None


def replace_atomically(path, write):
    """Call ``write(tmp)`` on a temporary path beside ``path`` (same suffix), then move it into place.

    The folder is made if missing. If ``write`` fails, the temporary file is removed and ``path``
    is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = ".weights.h5" if path.name.endswith(".weights.h5") else path.suffix  # writers go by it
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part{suffix}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path

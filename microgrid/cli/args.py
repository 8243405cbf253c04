"""What the ``microgrid`` commands share: their one exit-status rule, the checks of their
arguments' values (argparse types) and of the paths they will write, and how they write.

The rule, the same in every command:

* a problem found before work starts — a bad option, a missing or malformed model file, a
  wrong number of inputs or targets, an unwritable output path, a bad suffix — is exit
  status 2 with one line naming it (`ArgumentError`, and argparse's own errors, `Parser`);
* a failure while running — a diverged training run, a write the system refused after the
  work — is exit status 1 with one line (`CommandError`);
* nothing half-written is left behind: every file is written whole or not at all (`write`).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
from collections.abc import Callable
from typing import Any, NoReturn

__all__ = [
    "CommandError", "ArgumentError", "Parser", "check_writable", "positive_int",
    "positive_float", "non_negative_float", "finite_float", "file_name", "hidden_sizes",
    "load_model", "write",
]

#: exit statuses: a problem found before work starts, a failure while running
BEFORE_WORK, WHILE_RUNNING = 2, 1


class CommandError(Exception):
    """A failure while running: ``microgrid <command>: error: <message>``, exit status 1."""


class ArgumentError(Exception):
    """A problem found before work starts: ``microgrid <command>: error: <message>``, exit
    status 2."""


class Parser(argparse.ArgumentParser):
    """argparse, with its errors reported as every other problem found before work starts:
    one line naming it, exit status 2 (its subcommands' parsers are of this class too)."""

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: error: {message} (see {self.prog} --help)", file=sys.stderr)
        sys.exit(BEFORE_WORK)


def positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {n}")
    return n


def positive_float(text: str) -> float:
    x = finite_float(text)
    if x <= 0.0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}")
    return x


def non_negative_float(text: str) -> float:
    x = finite_float(text)
    if x < 0.0:
        raise argparse.ArgumentTypeError(f"expected a number ≥ 0, got {text!r}")
    return x


def finite_float(text: str) -> float:
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(x):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return x


def file_name(text: str) -> str:
    if not text.strip():  # '' would mean "no file" to the code and "this folder" to the OS
        raise argparse.ArgumentTypeError(f"expected a file name, got {text!r}")
    return text


def hidden_sizes(text: str) -> list[int]:
    if text.strip() in ("", "none"):
        return []  # no hidden layer: a linear classifier
    try:
        sizes = [int(s) for s in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated layer sizes such as 16,16, got {text!r}"
        ) from None
    if any(s < 1 for s in sizes):
        raise argparse.ArgumentTypeError(f"layer sizes must be positive, got {text!r}")
    return sizes


def check_writable(path: str, option: str) -> None:
    """An output path that cannot be written is found before work starts (ArgumentError)."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ArgumentError(f"{option} {path}: the folder {folder} does not exist")
    if os.path.isdir(path):
        raise ArgumentError(f"{option} {path}: is a folder; give a file name")
    if not os.access(folder, os.W_OK):
        raise ArgumentError(f"{option} {path}: cannot write in the folder {folder}")


def write(path: str, make: Callable[[str], object]) -> None:
    """``make(tmp)`` writes the file at a temporary path beside ``path`` (with its suffix, which
    says the format), which then replaces ``path`` at once (``os.replace``): an interrupted or
    failed write leaves no half-written file.  An OSError is a CommandError naming ``path``."""
    folder, name = os.path.split(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=os.path.splitext(name)[1], dir=folder)
    os.close(fd)
    try:
        make(tmp)
        mask = os.umask(0)  # mkstemp made it private: give it the mode a new file gets
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)
        os.replace(tmp, path)
    except OSError as e:
        raise CommandError(f"cannot write {path}: {e.strerror or e}") from None
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def load_model(path: str) -> tuple[Any, dict]:
    """A saved model and its metadata; a missing or malformed file is found before work
    starts: an ArgumentError naming it (predict and explore both read models)."""
    from ..io import read_model
    from ..nn import MLP

    try:
        model, meta = read_model(path)
        return MLP.from_dict(model), meta
    except FileNotFoundError:
        raise ArgumentError(f"no such model file: {path}") from None
    except IsADirectoryError:
        raise ArgumentError(f"{path} is a folder, not a model file") from None
    except OSError as e:
        raise ArgumentError(f"cannot read {path}: {e.strerror or e}") from None
    except ValueError as e:  # it names the file and what is wrong with it
        raise ArgumentError(str(e)) from None

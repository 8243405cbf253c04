"""What the ``microgrid`` commands share: their two kinds of error, the checks of their
arguments' values (argparse types) and of the paths they will write."""

from __future__ import annotations

import argparse
import math
import os
from typing import Any

__all__ = [
    "CommandError", "ArgumentError", "check_writable", "positive_int", "positive_float",
    "non_negative_float", "finite_float", "file_name", "hidden_sizes", "load_model",
]


class CommandError(Exception):
    """A failure to report as ``microgrid <command>: error: <message>`` with exit status 1."""


class ArgumentError(Exception):
    """A wrong argument, found after parsing: usage and the message, exit status 2."""


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
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise CommandError(f"{option} {path}: the folder {folder} does not exist")
    if os.path.isdir(path):
        raise CommandError(f"{option} {path}: is a folder; give a file name")
    if not os.access(folder, os.W_OK):
        raise CommandError(f"{option} {path}: cannot write in the folder {folder}")


def load_model(path: str) -> tuple[Any, dict]:
    """A saved model and its metadata; a missing or malformed file is a CommandError naming
    it (predict and explore both read models)."""
    from ..io import read_model
    from ..nn import MLP

    try:
        model, meta = read_model(path)
        return MLP.from_dict(model), meta
    except FileNotFoundError:
        raise CommandError(f"no such model file: {path}") from None
    except IsADirectoryError:
        raise CommandError(f"{path} is a folder, not a model file") from None
    except OSError as e:
        raise CommandError(f"cannot read {path}: {e.strerror or e}") from None
    except ValueError as e:  # it names the file and what is wrong with it
        raise CommandError(str(e)) from None

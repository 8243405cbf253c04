"""Model files: a network as JSON (never pickle), written atomically, read with every field checked.

    mlp.save("model.json", metadata={"loss": "hinge"})   # microgrid.nn builds the dict ...
    mlp = MLP.load("model.json")                         # ... and builds the MLP back
    model, metadata = read_model("model.json")           # the checked contents, as plain data

This module knows files and their format, not the classes: it turns a *model dict* (plain
data, as ``MLP.to_dict()`` gives it) into a file and back, and imports nothing from the
engine or ``microgrid.nn`` (``nn`` uses it; never the other way round).  A model dict is

    {"nin": 2, "nouts": [16, 16, 1], "activation": "relu", "output_activation": "linear",
     "weights": W, "biases": B}

and the file (format ``microgrid.mlp``, version 1) holds the same with a header:

    {"format": "microgrid.mlp", "version": 1,
     "architecture": {"nin": 2, "nouts": [16, 16, 1],
                      "activation": "relu", "output_activation": "linear"},
     "weights": W,  "biases": B,  "metadata": {...}}

with ``W[i][j][k]`` = w^{i+2}_jk and ``B[i][j]`` = b^{i+2}_j as in ``mlp.weights()`` and
``mlp.biases()``; floats are written with ``repr`` precision, so a loaded model predicts
exactly what the saved one did.  ``metadata`` is any JSON object (optional).

Saving writes a temporary file in the same directory, flushes it to disk (fsync) and renames it
over the target with ``os.replace``, which is atomic: whatever interrupts a save, the target is
either the old file or the complete new one.  Loading reads at most `MAX_BYTES`, and any file
that is not a well-formed model (bad JSON, wrong format or version, wrong types, shapes that do
not match the architecture, NaN or infinite numbers, nesting too deep) raises ValueError
saying, once, what is wrong (``model file 'm.json': missing field 'weights'``); a missing file
raises the usual OSError.
"""

from __future__ import annotations

import json
import math
import numbers
import os
import tempfile
from typing import Any

from .notation import ACTIVATIONS

__all__ = ["FORMAT", "VERSION", "MAX_BYTES", "MODEL_KEYS", "write_model", "read_model"]

FORMAT = "microgrid.mlp"
VERSION = 1
#: Files larger than this are refused before they are read (a scalar engine never needs more).
MAX_BYTES = 100 * 1024 * 1024

PathLike = str | os.PathLike

#: the keys of a model dict, in the order of MLP(nin, nouts, activation, output_activation):
#: the one statement of them (``MLP.to_dict`` and the reader build the dict with these)
MODEL_KEYS = ("nin", "nouts", "activation", "output_activation", "weights", "biases")


# ---------------------------------------------------------------------------- saving
def write_model(
    path: PathLike, model: dict[str, Any], metadata: dict[str, Any] | None = None
) -> None:
    """Write a model dict (see the top of this module) and optional ``metadata`` to ``path``,
    atomically: nothing is written unless all of it can be."""
    if not isinstance(model, dict) or not set(MODEL_KEYS) <= model.keys():
        raise TypeError(f"write_model: expected a model dict with keys {', '.join(MODEL_KEYS)}")
    if metadata is not None and not isinstance(metadata, dict):
        raise TypeError(f"save: metadata must be a dict, got {type(metadata).__name__}")
    doc: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "architecture": {key: model[key] for key in MODEL_KEYS[:4]},
        "weights": model["weights"],
        "biases": model["biases"],
    }
    if metadata is not None:
        doc["metadata"] = metadata
    # Serialise completely before touching the disk; allow_nan=False refuses to write NaN/inf
    # (which is not JSON) instead of producing a file that could not be loaded back.
    try:
        text = json.dumps(doc, allow_nan=False)
    except ValueError as e:
        raise ValueError(f"save: the model cannot be saved: {e}") from None
    except TypeError as e:
        raise TypeError(f"save: metadata is not JSON-serialisable: {e}") from None
    _atomic_write(os.fspath(path), (text + "\n").encode("utf-8"))


def _atomic_write(path: str, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, fsync it, rename it over ``path``."""
    directory = os.path.dirname(os.path.abspath(path))
    mode = _mode_for(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory)
    try:
        view = memoryview(data)
        while view:  # os.write may write less than asked
            view = view[os.write(fd, view) :]
        os.fsync(fd)  # the bytes are on disk before the rename makes them visible
        os.close(fd)
        fd = -1
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_directory(directory)


def _mode_for(path: str) -> int:
    """Keep an existing file's permissions; a new file gets rw-r--r-- (mkstemp makes rw-------)."""
    try:
        return os.stat(path).st_mode & 0o777
    except OSError:
        return 0o644


def _fsync_directory(directory: str) -> None:
    # Makes the rename itself durable on POSIX; not possible (nor needed) on Windows.
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------- loading
def read_model(path: PathLike) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(model dict, metadata)`` from a file written by `write_model` (metadata ``{}`` when
    it has none), every field checked; anything malformed raises ValueError naming the file
    and the problem."""
    path = os.fspath(path)
    where = f"model file {path!r}"
    doc = _read_json(path, where)
    try:
        return _from_document(doc)
    except ValueError as e:
        raise ValueError(f"{where}: {e}") from None


def _read_json(path: str, where: str) -> Any:
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size > MAX_BYTES:
            raise ValueError(f"{where}: {size} bytes, more than the limit of {MAX_BYTES}")
        raw = f.read(size + 1)  # a buffer the size of the file, not of the limit
        if len(raw) > size:  # the file grew since fstat: read on, up to the limit
            raw += f.read(MAX_BYTES + 1 - len(raw))
    if len(raw) > MAX_BYTES:
        raise ValueError(f"{where}: more than the limit of {MAX_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(f"{where}: not UTF-8 text ({e})") from None
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as e:
        raise ValueError(f"{where}: not valid JSON (truncated or corrupted?): {e}") from None
    except RecursionError:
        raise ValueError(f"{where}: JSON nested too deeply") from None
    except _NotANumber as e:
        raise ValueError(f"{where}: {e}") from None
    except ValueError as e:  # an integer with more digits than Python converts
        raise ValueError(f"{where}: a number is too long; not a valid model file ({e})") from None


class _NotANumber(ValueError):
    pass


def _reject_constant(name: str) -> float:
    raise _NotANumber(f"{name} is not a valid number (JSON has no NaN or infinity)")


def _from_document(doc: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    if not isinstance(doc, dict):
        raise ValueError(f"expected a JSON object at the top level, got {_kind(doc)}")
    if "format" not in doc:
        raise ValueError("not a microgrid model: missing field 'format'")
    if doc["format"] != FORMAT:
        got = doc["format"]
        raise ValueError(f"not a microgrid model: 'format' is {got!r}, not {FORMAT!r}")
    if "version" not in doc:
        raise ValueError(f"not a microgrid model: missing field 'version' (this microgrid reads "
                         f"version {VERSION})")
    version = doc["version"]
    if version != VERSION or isinstance(version, bool):
        raise ValueError(f"unsupported version {version!r}; this microgrid reads version {VERSION}")
    arch = _field(doc, "architecture", dict, "")
    nin = _size(_field(arch, "nin", int, "architecture."), "architecture.nin")
    nouts = _field(arch, "nouts", list, "architecture.")
    if not nouts:
        raise ValueError("architecture.nouts is empty; an MLP has at least one layer")
    nouts = [_size(n, f"architecture.nouts[{i}]") for i, n in enumerate(nouts)]
    activation = _activation(arch, "activation")
    output_activation = _activation(arch, "output_activation")

    # Check every shape against the architecture before building anything, so a file that
    # claims huge layers but does not contain their weights allocates nothing.
    W = _field(doc, "weights", list, "")
    B = _field(doc, "biases", list, "")
    sizes = [nin, *nouts]
    _length(W, len(nouts), "weights", "layers")
    _length(B, len(nouts), "biases", "layers")
    for i in range(len(nouts)):
        nin_i, nout_i = sizes[i], sizes[i + 1]
        _length(W[i], nout_i, f"weights[{i}]", "rows (neurons)")
        _length(B[i], nout_i, f"biases[{i}]", "biases")
        for j in range(nout_i):
            _length(W[i][j], nin_i, f"weights[{i}][{j}]", "weights (inputs)")
            for k, w in enumerate(W[i][j]):
                _finite(w, f"weights[{i}][{j}][{k}]")
            _finite(B[i][j], f"biases[{i}][{j}]")

    metadata = doc.get("metadata", {})
    if not isinstance(metadata, dict):
        raise ValueError(f"metadata must be a JSON object, got {_kind(metadata)}")

    model = dict(zip(MODEL_KEYS, (nin, nouts, activation, output_activation, W, B), strict=True))
    return model, metadata


def _kind(x: Any) -> str:
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        text = repr(x)
        return f"the number {text if len(text) <= 20 else text[:20] + '…'}"
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
             type(None): "null"}
    return names.get(type(x), type(x).__name__)


def _field(obj: dict, key: str, typ: type, prefix: str) -> Any:
    if key not in obj:
        raise ValueError(f"missing field {prefix}{key!r}")
    value = obj[key]
    if not isinstance(value, typ) or (typ is int and isinstance(value, bool)):
        expected = {dict: "an object", list: "an array", int: "an integer"}[typ]
        raise ValueError(f"{prefix}{key} must be {expected}, got {_kind(value)}")
    return value


def _size(n: Any, name: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"{name} must be a positive integer, got {n!r}")
    return n


def _activation(arch: dict, key: str) -> str:
    if key not in arch:
        raise ValueError(f"missing field architecture.{key}")
    name = arch[key]
    if name not in ACTIVATIONS:
        valid = ", ".join(map(repr, ACTIVATIONS))
        raise ValueError(f"architecture.{key} is {name!r}; valid activations are {valid}")
    return name


def _length(x: Any, n: int, name: str, what: str) -> None:
    if not isinstance(x, list):
        raise ValueError(f"{name} must be an array of {n} {what}, got {_kind(x)}")
    if len(x) != n:
        raise ValueError(f"{name} has {len(x)} {what}, but the architecture needs {n}")


def _finite(x: Any, name: str) -> None:
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise ValueError(f"{name} must be a number, got {_kind(x)}")
    try:
        finite = math.isfinite(x)  # 1e999 parses as inf
    except OverflowError:  # an integer too large for a float
        finite = False
    if not finite:
        text = str(x) if len(str(x)) <= 20 else str(x)[:20] + "…"
        raise ValueError(f"{name} is {text}; weights must be finite floats")

"""Model files: exact round trip, atomic writes, and a clear ValueError for every bad file."""

from __future__ import annotations

import errno
import json
import math
import os
import random
import subprocess
import sys
import tempfile

import pytest

import microgrid.io as mio
from microgrid import MLP
from microgrid.io import read_model


def load_mlp(path):
    return MLP.load(path)


def load_metadata(path):
    return read_model(path)[1]


def make_mlp(seed=0):
    return MLP(3, [4, 2], activation="tanh", output_activation="sigmoid", seed=seed)


def predictions(mlp, seed=1, n=20):
    rng = random.Random(seed)
    xs = [[rng.uniform(-2, 2) for _ in range(mlp.nin)] for _ in range(n)]
    return [[v.data for v in mlp(x)] if mlp.nouts[-1] > 1 else mlp(x).data for x in xs]


def leftovers(directory):
    return [name for name in os.listdir(directory) if name.endswith(".tmp")]


# ------------------------------------------------------------------------- round trip
def test_save_then_load_gives_identical_predictions(tmp_path):
    mlp = make_mlp()
    mlp.save(tmp_path / "m.json")
    assert predictions(load_mlp(tmp_path / "m.json")) == predictions(mlp)


def test_save_then_load_keeps_architecture_and_every_weight_bit_for_bit(tmp_path):
    mlp = MLP(2, [16, 16, 1], activation="relu", output_activation="linear", seed=7)
    mlp.save(tmp_path / "m.json")
    back = MLP.load(tmp_path / "m.json")
    assert (back.nin, back.nouts, back.activation, back.output_activation) == (
        2, [16, 16, 1], "relu", "linear",
    )
    assert back.weights() == mlp.weights() and back.biases() == mlp.biases()


def test_the_file_is_json_with_format_version_and_architecture(tmp_path):
    make_mlp().save(tmp_path / "m.json")
    doc = json.loads((tmp_path / "m.json").read_text())
    assert doc["format"] == "microgrid.mlp" and doc["version"] == 1
    assert doc["architecture"] == {
        "nin": 3, "nouts": [4, 2], "activation": "tanh", "output_activation": "sigmoid",
    }
    assert len(doc["weights"][0]) == 4 and len(doc["weights"][0][0]) == 3


def test_metadata_round_trips(tmp_path):
    meta = {"loss": "hinge", "dataset": "moons", "accuracy": 0.99}
    make_mlp().save(tmp_path / "m.json", metadata=meta)
    assert load_metadata(tmp_path / "m.json") == meta


def test_mlp_save_takes_metadata_and_read_model_gives_it_back(tmp_path):
    mlp = make_mlp()
    mlp.save(tmp_path / "m.json", metadata={"loss": "bce"})
    model, metadata = read_model(tmp_path / "m.json")
    assert metadata == {"loss": "bce"}
    assert model == mlp.to_dict()


def test_to_dict_and_from_dict_round_trip_every_weight():
    mlp = MLP(2, [5, 3], activation="tanh", output_activation="linear", seed=3)
    back = MLP.from_dict(mlp.to_dict())
    assert back.to_dict() == mlp.to_dict()
    assert (back.activation, back.output_activation) == ("tanh", "linear")


def test_from_dict_names_the_missing_keys():
    model = make_mlp().to_dict()
    del model["weights"], model["nin"]
    with pytest.raises(ValueError, match="missing 'nin', 'weights'"):
        MLP.from_dict(model)


def test_io_imports_nothing_that_imports_it_back():
    # nn builds the model dict and calls io; io must not import nn (nor the engine), not even
    # inside a function: the dependency goes one way.
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(mio))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            imported.add(node.module or "")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("microgrid"):
            imported.add(node.module)
        elif isinstance(node, ast.Import):
            imported |= {a.name for a in node.names if a.name.startswith("microgrid")}
    assert imported <= {"notation"}, imported


def test_a_model_without_metadata_loads_with_empty_metadata(tmp_path):
    make_mlp().save(tmp_path / "m.json")
    assert load_metadata(str(tmp_path / "m.json")) == {}


def test_a_new_file_is_readable_by_others_and_an_existing_file_keeps_its_mode(tmp_path):
    path = tmp_path / "m.json"
    make_mlp().save(path)
    assert os.stat(path).st_mode & 0o777 == 0o644
    os.chmod(path, 0o600)
    make_mlp().save(path)
    assert os.stat(path).st_mode & 0o777 == 0o600


# ------------------------------------------------------------------------- atomic writes
@pytest.fixture
def good_file(tmp_path):
    """A model file already on disk, and its exact bytes."""
    path = tmp_path / "model.json"
    make_mlp(seed=1).save(path)
    return path, path.read_bytes()


def test_failing_serialisation_leaves_the_old_file_intact(good_file, monkeypatch):
    path, before = good_file

    def broken_dumps(*args, **kwargs):
        raise RuntimeError("serialisation failed")

    monkeypatch.setattr(mio.json, "dumps", broken_dumps)
    with pytest.raises(RuntimeError):
        make_mlp(seed=2).save(path)
    assert path.read_bytes() == before
    assert leftovers(path.parent) == []


def test_a_write_failing_half_way_leaves_the_old_file_intact(good_file, monkeypatch):
    path, before = good_file
    real_write = os.write

    def half_then_disk_full(fd, data):
        real_write(fd, bytes(data[: len(data) // 2]))
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(mio.os, "write", half_then_disk_full)
    with pytest.raises(OSError, match="No space"):
        make_mlp(seed=2).save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert leftovers(path.parent) == []
    assert load_mlp(path).weights() == make_mlp(seed=1).weights()


@pytest.mark.parametrize("step", ["fsync", "replace"])
def test_a_failure_before_the_rename_leaves_the_old_file_intact(good_file, monkeypatch, step):
    path, before = good_file

    def fail(*args):
        raise OSError(5, f"{step} failed")

    monkeypatch.setattr(mio.os, step, fail)
    with pytest.raises(OSError, match=f"{step} failed"):
        make_mlp(seed=2).save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert leftovers(path.parent) == []


@pytest.mark.parametrize("where", ["absolute", "relative", "subdirectory"])
def test_the_temporary_file_sits_in_the_targets_directory(tmp_path, monkeypatch, where):
    # os.replace is atomic only within one filesystem; across filesystems it fails with EXDEV.
    # So the temporary file must be beside the target, never in TMPDIR (here another
    # directory, as /tmp often is another filesystem).
    elsewhere = tmp_path / "tmpdir"
    elsewhere.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(elsewhere))
    monkeypatch.setenv("TMPDIR", str(elsewhere))
    target_dir = tmp_path / "models"
    target_dir.mkdir()
    monkeypatch.chdir(target_dir if where != "subdirectory" else tmp_path)
    path = {"absolute": target_dir / "m.json", "relative": "m.json",
            "subdirectory": os.path.join("models", "m.json")}[where]
    renames = []
    real_replace = os.replace

    def replace(src, dst):
        if os.path.dirname(os.path.abspath(src)) != os.path.dirname(os.path.abspath(dst)):
            raise OSError(errno.EXDEV, "Invalid cross-device link")  # as another filesystem
        renames.append((os.path.abspath(src), os.path.abspath(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(mio.os, "replace", replace)
    make_mlp(seed=2).save(path)
    monkeypatch.undo()
    [(src, dst)] = renames
    assert os.path.dirname(src) == os.path.dirname(dst) == str(target_dir)
    assert dst == str(target_dir / "m.json") and src != dst
    assert sorted(os.listdir(target_dir)) == ["m.json"] and os.listdir(elsewhere) == []
    assert load_mlp(target_dir / "m.json").weights() == make_mlp(seed=2).weights()


def test_a_process_killed_in_the_middle_of_a_save_leaves_the_old_file_intact(good_file):
    # The child process dies (no cleanup, no exception handling) right after writing half
    # the new file: what a power cut or kill -9 would do.
    path, before = good_file
    child = f"""
import os, microgrid.io as mio
from microgrid import MLP
real_write = os.write
def die(fd, data):
    real_write(fd, bytes(data[: len(data) // 2]))
    os._exit(9)
mio.os.write = die
MLP(3, [4, 2], seed=2).save({str(path)!r})
"""
    result = subprocess.run([sys.executable, "-c", child], capture_output=True, timeout=60)
    assert result.returncode == 9
    assert path.read_bytes() == before


def test_saving_a_model_with_a_nan_weight_raises_and_writes_nothing(good_file):
    path, before = good_file
    mlp = make_mlp()
    mlp.layers[0].neurons[0].w[0].data = math.nan
    with pytest.raises(ValueError, match="cannot be saved"):
        mlp.save(path)
    assert path.read_bytes() == before


def test_metadata_that_is_not_json_is_a_type_error(tmp_path):
    with pytest.raises(TypeError, match="metadata"):
        make_mlp().save(tmp_path / "m.json", metadata={"f": object()})


def test_writing_something_else_than_a_model_dict_is_a_type_error(tmp_path):
    with pytest.raises(TypeError, match="expected a model dict"):
        mio.write_model(tmp_path / "m.json", {"weights": []})


# ------------------------------------------------------------------------- bad files
def valid_doc():
    mlp = MLP(2, [3, 1], activation="relu", output_activation="linear", seed=0)
    return {
        "format": "microgrid.mlp",
        "version": 1,
        "architecture": {"nin": 2, "nouts": [3, 1], "activation": "relu",
                         "output_activation": "linear"},
        "weights": mlp.weights(),
        "biases": mlp.biases(),
    }


def edited(change):
    doc = valid_doc()
    change(doc)
    return json.dumps(doc)


def setitem(path, value):
    def change(doc):
        *keys, last = path
        target = doc
        for key in keys:
            target = target[key]
        target[last] = value
    return change


def delete(key):
    return lambda doc: doc.pop(key)


def with_raw_weight(text):
    """A valid document whose weights[0][0][0] is the raw JSON ``text``."""
    return edited(setitem(["weights", 0, 0, 0], "@")).replace('"@"', text)


BAD_FILES = {
    "empty": ("", "not valid JSON"),
    "truncated": (json.dumps(valid_doc())[:-40], "not valid JSON"),
    "not json": ("hello", "not valid JSON"),
    "not utf-8": (b"\xff\xfe{}", "not UTF-8"),
    "top level array": ("[1, 2]", "JSON object at the top level, got an array"),
    "top level number": ("3", "JSON object at the top level, got the number 3"),
    "wrong format": (edited(setitem(["format"], "pickle")), "not a microgrid model"),
    "no format": (edited(delete("format")), "not a microgrid model: missing field 'format'"),
    "future version": (edited(setitem(["version"], 2)), "unsupported version 2"),
    "version as string": (edited(setitem(["version"], "1")), "unsupported version '1'"),
    "version as bool": (edited(setitem(["version"], True)), "unsupported version True"),
    "no architecture": (edited(delete("architecture")), "missing field 'architecture'"),
    "architecture list": (edited(setitem(["architecture"], [])), "must be an object"),
    "nin zero": (edited(setitem(["architecture", "nin"], 0)), "nin must be a positive"),
    "nin string": (edited(setitem(["architecture", "nin"], "2")), "nin must be an integer"),
    "nin bool": (edited(setitem(["architecture", "nin"], True)), "nin must be an integer"),
    "nin float": (edited(setitem(["architecture", "nin"], 2.0)), "integer, got the number 2.0"),
    "no layers": (edited(setitem(["architecture", "nouts"], [])), "nouts is empty"),
    "negative layer": (edited(setitem(["architecture", "nouts", 0], -3)), r"nouts\[0\]"),
    "unknown activation": (
        edited(setitem(["architecture", "activation"], "softmax")), "valid activations",
    ),
    "missing output activation": (
        edited(lambda d: d["architecture"].pop("output_activation")),
        "missing field architecture.output_activation",
    ),
    "huge claimed layer": (
        edited(setitem(["architecture", "nouts", 0], 10**9)), r"weights\[0\] has 3 rows",
    ),
    "huge claimed input": (
        edited(setitem(["architecture", "nin"], 10**12)), r"weights\[0\]\[0\] has 2 weights",
    ),
    "no weights": (edited(delete("weights")), "missing field 'weights'"),
    "weights not array": (edited(setitem(["weights"], {"0": 1})), "weights must be an array"),
    "one layer missing": (edited(lambda d: d["weights"].pop()), "weights has 1 layers"),
    "row missing": (edited(lambda d: d["weights"][0].pop()), r"weights\[0\] has 2 rows"),
    "extra column": (edited(lambda d: d["weights"][1][0].append(0.5)), r"\[1\]\[0\] has 4"),
    "biases short": (edited(lambda d: d["biases"][0].pop()), r"biases\[0\] has 2 biases"),
    "weight string": (edited(setitem(["weights", 0, 0, 0], "0.5")), "must be a number"),
    "weight null": (edited(setitem(["weights", 0, 0, 0], None)), "got null"),
    "weight bool": (edited(setitem(["weights", 0, 0, 0], True)), "got a boolean"),
    "weight list": (edited(setitem(["weights", 0, 0, 0], [1.0])), "got an array"),
    "bias object": (edited(setitem(["biases", 1, 0], {})), r"biases\[1\]\[0\] must be a number"),
    "NaN": (with_raw_weight("NaN"), "NaN is not a valid number"),
    "Infinity": (with_raw_weight("-Infinity"), "Infinity is not a valid number"),
    "overflowing float": (with_raw_weight("1e999"), "must be finite"),
    "overflowing int": (with_raw_weight("9" * 400), "must be finite"),
    "too many digits": (with_raw_weight("9" * 5000), "digits"),
    "deep nesting": ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    "metadata not object": (edited(setitem(["metadata"], [1])), "metadata must be a JSON object"),
}


def test_an_empty_object_says_format_is_missing_once(tmp_path):
    path = tmp_path / "m.json"
    path.write_text("{}")
    with pytest.raises(ValueError) as info:
        MLP.load(path)
    message = str(info.value)
    assert message == f"model file {str(path)!r}: not a microgrid model: missing field 'format'"


@pytest.mark.parametrize("case", BAD_FILES)
def test_a_bad_model_file_raises_value_error_saying_what_is_wrong(tmp_path, case):
    content, message = BAD_FILES[case]
    path = tmp_path / "bad.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    with pytest.raises(ValueError, match=message) as info:
        load_mlp(path)
    # the file is named once, and so is the verdict: no "model file …: … model file …"
    text = str(info.value)
    assert text.startswith(f"model file {str(path)!r}: ") and text.count("bad.json") == 1, text
    assert "model file" not in text[len("model file"):].replace("not a valid model file", "")
    assert "None" not in text.replace("null", "")


def test_the_valid_document_used_above_does_load(tmp_path):
    # Guards the table: each bad file differs from this loadable one in one place.
    (tmp_path / "ok.json").write_text(json.dumps(valid_doc()))
    assert load_mlp(tmp_path / "ok.json").nouts == [3, 1]


def test_a_file_over_the_size_limit_is_refused_before_parsing(tmp_path, monkeypatch):
    path = tmp_path / "big.json"
    path.write_text(json.dumps(valid_doc()))
    monkeypatch.setattr(mio, "MAX_BYTES", 100)

    def must_not_parse(*args, **kwargs):
        raise AssertionError("parsed a file over the limit")

    monkeypatch.setattr(mio.json, "loads", must_not_parse)
    with pytest.raises(ValueError, match="more than the limit of 100"):
        load_mlp(path)


def test_a_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_mlp(tmp_path / "nope.json")

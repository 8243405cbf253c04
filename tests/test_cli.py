"""The command line, run as a user runs it: ``python -m microgrid ...`` in a fresh folder."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from microgrid import MLP

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def run(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "microgrid", *args],
        cwd=cwd, env=env, capture_output=True, text=True, encoding="utf-8", timeout=120,
    )


def assert_clean_failure(p: subprocess.CompletedProcess, status: int, *words: str) -> None:
    """A non-zero exit, one readable message on stderr, no traceback."""
    assert p.returncode == status, (p.returncode, p.stdout, p.stderr)
    assert "Traceback" not in p.stderr
    for word in words:
        assert word in p.stderr, (word, p.stderr)


# ---------------------------------------------------------------------------------- demo
@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("demo")
    return run("demo", cwd=cwd), cwd


def test_demo_exits_zero(demo):
    p, _ = demo
    assert p.returncode == 0, p.stderr


def test_demo_engine_agrees_with_bp1_to_bp4_within_1e_10(demo):
    p, _ = demo
    m = re.search(r"largest absolute difference, engine vs BP1–BP4, over all (\d+) numbers: (\S+)",
                  p.stdout)
    assert m, p.stdout
    # 3-4-2: δ and ∂C/∂b for 4 + 2 neurons, ∂C/∂w for 3·4 + 4·2 weights
    assert int(m.group(1)) == 6 + 6 + 20
    assert float(m.group(2)) < 1e-10


def test_demo_table_has_a_row_per_delta_bias_and_weight_in_the_documents_notation(demo):
    p, _ = demo
    rows = re.findall(r"^  (δ\^\d_\d|∂C/∂[bw]\^\S+)\s+(BP\d)\s+(\S+)\s+(\S+)\s+(\S+)$",
                      p.stdout, re.M)
    names = {r[0]: r[1] for r in rows}
    assert names["δ^3_2"] == "BP1" and names["δ^2_4"] == "BP2"
    assert names["∂C/∂b^3_1"] == "BP3" and names["∂C/∂w^3_{24}"] == "BP4"
    assert len(rows) == 32
    for _, _, engine, closed, diff in rows:
        assert abs(float(engine) - float(closed)) <= 1e-10
        assert float(diff) <= 1e-10


def test_demo_explains_a_weight_gradient_as_a_in_times_delta_out(demo):
    p, _ = demo
    m = re.search(r"∂C/∂w\^3_\{24\} = a\^2_4 · δ\^3_2 = (\S+) × (\S+) = (\S+)", p.stdout)
    assert m, p.stdout
    a, d, g = map(float, m.groups())
    assert g == pytest.approx(a * d, rel=2e-2)


def test_demo_writes_the_graph_as_svg(demo):
    p, cwd = demo
    svg = (cwd / "microgrid-demo.svg").read_text(encoding="utf-8")
    assert svg.lstrip().startswith(("<?xml", "<svg"))
    assert "</svg>" in svg
    assert "microgrid-demo.svg" in p.stdout


def test_demo_out_option_chooses_the_file_and_format(tmp_path):
    p = run("demo", "--out", "graph.png", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "graph.png").read_bytes().startswith(PNG_MAGIC)
    assert not (tmp_path / "microgrid-demo.svg").exists()


def test_demo_without_graphviz_writes_dot_source_and_says_how_to_install_it(tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    env = {**os.environ, "PATH": str(empty)}  # no `dot` on PATH
    p = run("demo", cwd=tmp_path, env=env)
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "microgrid-demo.dot").read_text(encoding="utf-8").startswith("digraph")
    assert not (tmp_path / "microgrid-demo.svg").exists()
    assert "install graphviz" in p.stdout


def test_demo_to_a_missing_folder_fails_cleanly(tmp_path):
    p = run("demo", "--out", "no/such/folder/g.svg", cwd=tmp_path)
    assert_clean_failure(p, 1, "cannot write")


# ---------------------------------------------------------------------------------- train
@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("train")
    p = run("train", "--samples", "40", "--steps", "15", "--save", "model.json",
            "--plot", "train.png", cwd=cwd)
    return p, cwd


def test_train_exits_zero(trained):
    p, _ = trained
    assert p.returncode == 0, p.stderr


def test_train_writes_a_png_plot(trained):
    _, cwd = trained
    assert (cwd / "train.png").read_bytes().startswith(PNG_MAGIC)


def test_train_saves_a_json_model_with_the_requested_architecture(trained):
    _, cwd = trained
    doc = json.loads((cwd / "model.json").read_text(encoding="utf-8"))
    assert doc["architecture"]["nouts"] == [16, 16, 1]
    mlp = MLP.load(str(cwd / "model.json"))
    assert mlp.activation == "relu" and mlp.output_activation == "linear"


def test_train_summary_reports_accuracy_loss_and_time(trained):
    p, _ = trained
    m = re.search(r"training accuracy (\S+)% \((\d+)/40\), loss (\S+), (\S+) s", p.stdout)
    assert m, p.stdout
    assert float(m.group(1)) == pytest.approx(100 * int(m.group(2)) / 40, abs=0.05)
    assert float(m.group(3)) >= 0 and float(m.group(4)) > 0


def test_train_progress_goes_to_stderr_as_lines_when_not_a_terminal(trained):
    p, _ = trained
    lines = re.findall(r"^step +(\d+)/15  loss (\S+)  acc +(\S+)%", p.stderr, re.M)
    assert [int(s) for s, _, _ in lines][-1] == 15
    assert "\r" not in p.stderr


def test_train_is_deterministic_for_a_seed(trained, tmp_path):
    _, cwd = trained
    again = run("train", "--samples", "40", "--steps", "15", "--save", "model.json",
                "--no-plot", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert MLP.load(str(tmp_path / "model.json")).weights() == \
        MLP.load(str(cwd / "model.json")).weights()


def test_train_softmax_on_three_blobs_saves_a_three_output_model(tmp_path):
    p = run("train", "--dataset", "blobs", "--classes", "3", "--loss", "softmax", "--samples",
            "30", "--steps", "5", "--no-plot", "--save", "m.json", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert MLP.load(str(tmp_path / "m.json")).nouts == [16, 16, 3]


def test_train_refuses_a_two_class_loss_on_three_classes(tmp_path):
    p = run("train", "--dataset", "blobs", "--loss", "hinge", "--steps", "2", "--no-plot",
            cwd=tmp_path)
    assert_clean_failure(p, 1, "--loss softmax")


def test_train_refuses_to_save_into_a_missing_folder_before_training(tmp_path):
    p = run("train", "--steps", "1", "--no-plot", "--save", "nowhere/m.json", cwd=tmp_path)
    assert_clean_failure(p, 1, "does not exist")
    assert "step" not in p.stderr.replace("--save", "")


@pytest.mark.slow
def test_train_defaults_reach_95_percent_on_two_moons(tmp_path):
    p = run("train", "--no-plot", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    accuracy = float(re.search(r"training accuracy (\S+)%", p.stdout).group(1))
    assert accuracy >= 95.0


# ---------------------------------------------------------------------------------- predict
def test_predict_prints_what_the_loaded_model_computes(trained):
    _, cwd = trained
    p = run("predict", "model.json", "0.5", "-0.25", cwd=cwd)
    assert p.returncode == 0, p.stderr
    expected = MLP.load(str(cwd / "model.json"))([0.5, -0.25]).data
    m = re.search(r"output  a\^4_1 = (\S+)", p.stdout)
    assert float(m.group(1)) == pytest.approx(expected, rel=1e-5, abs=1e-9)
    assert re.search(rf"class   {int(expected > 0)}\b", p.stdout)


def test_predict_accepts_negative_numbers_in_exponent_form(trained):
    _, cwd = trained
    p = run("predict", "model.json", "-1e-1", "2", cwd=cwd)
    assert p.returncode == 0, p.stderr
    expected = MLP.load(str(cwd / "model.json"))([-0.1, 2.0]).data
    assert float(re.search(r"a\^4_1 = (\S+)", p.stdout).group(1)) == pytest.approx(expected,
                                                                                  rel=1e-5)


def test_predict_gives_the_argmax_class_for_a_many_output_model(tmp_path):
    mlp = MLP(2, [3], activation="linear", seed=1)
    mlp.load_weights([[[0, 0], [1, 0], [0, 0]]], [[0, 0, 0]])
    mlp.save(str(tmp_path / "m.json"))
    p = run("predict", "m.json", "5", "1", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert re.search(r"^class   1\b", p.stdout, re.M)


def test_predict_with_the_wrong_number_of_inputs_fails_cleanly(trained):
    _, cwd = trained
    p = run("predict", "model.json", "1", "2", "3", cwd=cwd)
    assert_clean_failure(p, 1, "takes 2 inputs", "got 3")


def test_predict_with_a_missing_model_file_fails_cleanly(tmp_path):
    p = run("predict", "absent.json", "1", "2", cwd=tmp_path)
    assert_clean_failure(p, 1, "no such model file", "absent.json")


def test_predict_with_a_truncated_model_file_fails_cleanly(trained, tmp_path):
    _, cwd = trained
    text = (cwd / "model.json").read_text(encoding="utf-8")
    (tmp_path / "cut.json").write_text(text[: len(text) // 2], encoding="utf-8")
    p = run("predict", "cut.json", "1", "2", cwd=tmp_path)
    assert_clean_failure(p, 1, "not a valid model file")


def test_predict_with_a_non_number_input_is_an_argument_error(trained):
    _, cwd = trained
    p = run("predict", "model.json", "1", "two", cwd=cwd)
    assert_clean_failure(p, 2, "expected a number", "'two'")


# ---------------------------------------------------------------------------------- usage
@pytest.mark.parametrize("command", [[], ["demo"], ["train"], ["predict"]])
def test_help_is_available_for_every_command(command, tmp_path):
    p = run(*command, "--help", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("usage: microgrid")


@pytest.mark.parametrize(
    "args, message",
    [
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        (["train", "--dataset", "spirals"], "invalid choice: 'spirals'"),
        (["train", "--hidden", "16,x"], "comma-separated layer sizes"),
        (["train", "--steps", "0"], "expected a positive integer"),
        (["train", "--lr", "-1"], "expected a number > 0"),
        (["demo", "--frob"], "unrecognized arguments: --frob"),
        (["predict", "model.json"], "the following arguments are required: x"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(args, message, tmp_path):
    p = run(*args, cwd=tmp_path)
    assert_clean_failure(p, 2, message)


def test_no_command_prints_usage_and_exits_nonzero(tmp_path):
    p = run(cwd=tmp_path)
    assert p.returncode == 2
    assert "usage: microgrid" in p.stderr


def test_train_without_matplotlib_still_trains_and_says_how_to_install_it(tmp_path):
    # a `matplotlib` package that fails to import stands in for one that is not installed
    fake = tmp_path / "fake" / "matplotlib"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('no matplotlib here')\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "fake")}
    p = run("train", "--samples", "20", "--steps", "2", "--save", "m.json", cwd=tmp_path, env=env)
    assert p.returncode == 0, p.stderr
    assert "pip install 'microgrid[plot]'" in p.stderr
    assert not (tmp_path / "train.png").exists()
    assert (tmp_path / "m.json").exists()


def test_predict_shows_the_probability_for_a_model_trained_with_bce(tmp_path):
    p = run("train", "--loss", "bce", "--samples", "20", "--steps", "3", "--no-plot",
            "--save", "m.json", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    p = run("predict", "m.json", "0.3", "0.1", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    s = float(re.search(r"a\^4_1 = (\S+)", p.stdout).group(1))
    prob = float(re.search(r"σ\(output\) = (\S+)\)", p.stdout).group(1))
    assert prob == pytest.approx(1 / (1 + math.exp(-s)), abs=1e-4)

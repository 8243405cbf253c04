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
    assert_clean_failure(p, 2, "--out no/such/folder/g.svg: the folder", "does not exist")


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
    m = re.search(r"final model on all 40 points: loss (\S+), accuracy (\S+)% \((\d+)/40\)\n"
                  r"time +(\S+) s", p.stdout)
    assert m, p.stdout
    assert float(m.group(2)) == pytest.approx(100 * int(m.group(3)) / 40, abs=0.05)
    assert float(m.group(1)) >= 0 and float(m.group(4)) > 0


def test_train_labels_the_batch_loss_apart_from_the_final_loss(trained):
    # The progress shows each step's batch *before* its update; the summary the final model.
    p, cwd = trained
    last_batch = float(re.findall(r"batch loss (\S+)", p.stderr)[-1])
    final = float(re.search(r"final model on all 40 points: loss (\S+),", p.stdout).group(1))
    assert final != last_batch
    assert "batch loss" not in p.stdout and "final model" not in p.stderr


def test_train_progress_goes_to_stderr_as_lines_when_not_a_terminal(trained):
    p, _ = trained
    lines = re.findall(r"^step +(\d+)/15  batch loss (\S+)  batch acc +(\S+)%", p.stderr, re.M)
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
    assert_clean_failure(p, 2, "argument --loss", "--loss softmax")


def test_train_refuses_to_save_into_a_missing_folder_before_training(tmp_path):
    p = run("train", "--steps", "1", "--no-plot", "--save", "nowhere/m.json", cwd=tmp_path)
    assert_clean_failure(p, 2, "does not exist")
    assert "step" not in p.stderr.replace("--save", "")


@pytest.mark.slow
def test_train_defaults_reach_95_percent_on_two_moons(tmp_path):
    p = run("train", "--no-plot", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    m = re.search(r"final model on all 100 points: .*accuracy (\S+)%", p.stdout)
    assert float(m.group(1)) >= 95.0


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


@pytest.mark.parametrize("x", [(0.5, -0.25), (3.0, 40.0), (-30.0, 2.0)])
def test_predict_reads_a_bce_model_as_a_probability(tmp_path, capsys, x):
    """A model trained with bce: the output s is a logit and σ(s) the probability of class 1."""
    from microgrid.cli import command as cli

    mlp = MLP(2, [4, 1], activation="tanh", output_activation="linear", seed=3)
    mlp.save(str(tmp_path / "m.json"), metadata={"loss": "bce"})
    assert cli.main(["predict", str(tmp_path / "m.json"), *map(str, x)]) == 0
    s = mlp(list(x)).data
    m = re.search(r"class   (\d)  \(probability of class 1: σ\(output\) = (\S+)\)",
                  capsys.readouterr().out)
    assert int(m.group(1)) == int(s > 0)
    assert float(m.group(2)) == pytest.approx(1.0 / (1.0 + math.exp(-s)), abs=5e-5)


def test_predict_with_the_wrong_number_of_inputs_fails_cleanly(trained):
    _, cwd = trained
    p = run("predict", "model.json", "1", "2", "3", cwd=cwd)
    assert_clean_failure(p, 2, "takes 2 inputs", "got 3")


def test_predict_with_a_missing_model_file_fails_cleanly(tmp_path):
    p = run("predict", "absent.json", "1", "2", cwd=tmp_path)
    assert_clean_failure(p, 2, "no such model file", "absent.json")


def test_predict_with_a_truncated_model_file_fails_cleanly(trained, tmp_path):
    _, cwd = trained
    text = (cwd / "model.json").read_text(encoding="utf-8")
    (tmp_path / "cut.json").write_text(text[: len(text) // 2], encoding="utf-8")
    p = run("predict", "cut.json", "1", "2", cwd=tmp_path)
    assert_clean_failure(p, 2, "model file 'cut.json': not valid JSON (truncated or corrupted?)")


def test_predict_with_an_empty_object_says_what_is_missing_once(tmp_path):
    (tmp_path / "m.json").write_text("{}")
    p = run("predict", "m.json", "1", "2", cwd=tmp_path)
    assert_clean_failure(p, 2)
    assert p.stderr == ("microgrid predict: error: model file 'm.json': not a microgrid model: "
                        "missing field 'format'\n")


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
        (["train", "--save", ""], "argument --save: expected a file name, got ''"),
        (["train", "--plot", " "], "argument --plot: expected a file name, got ' '"),
        (["demo", "--out", ""], "argument --out: expected a file name, got ''"),
        (["predict", "", "1"], "argument MODEL.json: expected a file name, got ''"),
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


# ---------------------------------------------------------------------------------- mistakes
# Every wrong argument exits 2 naming the option, before any training: no internal function
# name, no traceback, no step of progress.
@pytest.mark.parametrize(
    "args, message",
    [
        (["--samples", "1"], "argument --samples: a dataset needs at least 2 points"),
        (["--dataset", "moons", "--classes", "3"], "argument --classes: only --dataset blobs"),
        (["--dataset", "blobs", "--classes", "1", "--loss", "softmax"], "argument --classes"),
        (["--dataset", "blobs", "--classes", "30", "--samples", "20", "--loss", "softmax"],
         "argument --classes: expected 2 to --samples (20) classes, got 30"),
        (["--dataset", "blobs", "--loss", "hinge"], "argument --loss: the hinge loss separates "
         "two classes, but --classes is 3; use --loss softmax"),
        (["--samples", "20", "--batch-size", "21"], "argument --batch-size: 21 is more than"),
        (["--hidden", "none", "--activation", "tanh"], "argument --activation: with --hidden "
         "none there is no hidden layer"),
        (["--plot", "fit.txt", "--save", "m.json"], "argument --plot: 'fit.txt' has the suffix "
         ".txt; an image needs one of"),
        (["--plot", "fit", "--save", "m.json"], "argument --plot: 'fit' has no suffix"),
        (["--plot", "same.png", "--save", "same.png"], "argument --save: same.png is also the "
         "--plot file"),
        (["--plot", "a.png", "--no-plot"], "argument --no-plot: not allowed with argument "
         "--plot"),
    ],
    ids=["samples-1", "classes-moons", "classes-1", "classes-gt-samples", "hinge-3-classes",
         "batch-gt-samples", "activation-no-hidden", "plot-txt", "plot-no-suffix",
         "plot-is-save", "plot-and-no-plot"],
)
def test_train_with_a_wrong_argument_exits_2_naming_it_before_training(args, message, tmp_path):
    p = run("train", "--steps", "3", *args, cwd=tmp_path)
    assert_clean_failure(p, 2, "microgrid train: error: ", message)
    assert p.stderr.count("\n") == 1, p.stderr
    assert "step" not in p.stderr.replace("--steps", "")
    assert not re.search(r"make_|Objective|_check|\(\)", p.stderr), p.stderr
    assert os.listdir(tmp_path) == []  # no model, no plot


def test_demo_with_an_unknown_graph_format_exits_2_naming_out(tmp_path):
    p = run("demo", "--out", "graph.txt", cwd=tmp_path)
    assert_clean_failure(p, 2, "argument --out: Graphviz cannot draw a .txt file")
    assert p.stdout == "" and os.listdir(tmp_path) == []


def test_train_without_a_hidden_layer_says_so(tmp_path):
    p = run("train", "--hidden", "none", "--samples", "20", "--steps", "2", "--no-plot",
            cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "MLP 2-1, no hidden layer (a linear model), linear output (3 parameters)" in p.stdout
    assert "hidden layers" not in p.stdout


def test_train_with_one_hidden_layer_says_layer(tmp_path):
    p = run("train", "--hidden", "4", "--activation", "tanh", "--samples", "20", "--steps", "2",
            "--no-plot", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "MLP 2-4-1, tanh hidden layer, linear output" in p.stdout


def test_train_asked_for_a_plot_without_matplotlib_fails_before_training(tmp_path):
    fake = tmp_path / "fake" / "matplotlib"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('no matplotlib here')\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path / "fake"),
                                                        os.environ.get("PYTHONPATH", "")])}
    p = run("train", "--steps", "2", "--plot", "fit.png", "--save", "m.json", cwd=tmp_path,
            env=env)
    assert_clean_failure(p, 2, "--plot fit.png needs matplotlib", "pip install")
    assert "step" not in p.stderr.replace("--steps", "")
    assert not (tmp_path / "m.json").exists()


def test_a_plot_that_fails_after_training_keeps_the_saved_model(tmp_path, monkeypatch, capsys):
    from microgrid.cli import command as cli
    from microgrid.cli import training as cli_train

    def broken_figure(*args, **kwargs):
        raise RuntimeError("the renderer broke")

    monkeypatch.setattr(cli_train, "training_figure", broken_figure)
    monkeypatch.chdir(tmp_path)
    status = cli.main(["train", "--samples", "20", "--steps", "3", "--plot", "fit.png",
                       "--save", "m.json"])
    err = capsys.readouterr().err
    assert status == 1
    assert "the plot failed: RuntimeError: the renderer broke (the model is saved in m.json)" \
        in err
    assert MLP.load("m.json").nouts == [16, 16, 1]
    assert not (tmp_path / "fit.png").exists()


# ---------------------------------------------------------------------------------- progress
class Terminal:
    """A stream that says it is a terminal and keeps what was written."""

    def __init__(self):
        self.text = ""

    def isatty(self):
        return True

    def write(self, s):
        self.text += s

    def flush(self):
        pass


def screen_lines(text: str) -> list[str]:
    """What each redraw puts on the line: the pieces between carriage returns."""
    return [piece.rstrip("\n") for piece in text.split("\r") if piece]


@pytest.mark.parametrize("columns", [80, 60, 40, 200])
def test_the_progress_line_fits_the_terminal_and_each_redraw_covers_the_last(columns):
    from microgrid.cli.training import Progress

    term = Terminal()
    progress = Progress(1000, stream=term, columns=columns)
    for step in range(1, 1001):
        loss = 10.0 ** (2 - step / 250)  # 100.0000 down to 0.0100: lines get shorter
        progress.update(step, loss, step / 1000)
    lines = screen_lines(term.text)
    assert len(lines) == 1000 and term.text.endswith("\n")
    assert max(map(len, lines)) <= columns - 1
    for before, after in zip(lines, lines[1:]):
        assert len(after) >= len(before.rstrip())  # no leftover characters from the last draw
    assert re.search(r"step 1000/1000  batch loss 0\.0100  batch acc 100\.0%", lines[-1]) or \
        columns < 60


def test_the_progress_bar_is_drawn_when_there_is_room():
    from microgrid.cli.training import Progress

    term = Terminal()
    Progress(10, stream=term, columns=120).update(5, 0.5, 0.5)
    assert "[" + "█" * 15 + "·" * 15 + "] step  5/10" in term.text


def test_train_replays_a_compiled_step_unless_told_not_to(capsys):
    from microgrid.cli import command as cli

    finals = []
    for extra, how in (([], "compiled step"), (["--no-compile"], "graph rebuilt each step"),
                       (["--batch-size", "10"], "graph rebuilt each step")):
        assert cli.main(["train", "--samples", "20", "--steps", "5", "--no-plot", *extra]) == 0
        out = capsys.readouterr().out
        assert f"ms/step, {how})" in out
        finals.append(next(line for line in out.splitlines() if line.startswith("result")))
    assert finals[0] == finals[1]  # compiled or rebuilt: the same final model


# ---------------------------------------------------------------------------------- frictions
def test_train_times_compiling_apart_from_the_steps_and_says_so_before_step_1(capsys):
    from microgrid.cli import command as cli

    assert cli.main(["train", "--samples", "30", "--steps", "4", "--no-plot"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    compiling = next(i for i, line in enumerate(lines) if line.startswith("compile "))
    m = re.fullmatch(r"compile   building the loss's graph and compiling it … (\S+) s",
                     lines[compiling])
    assert m and float(m.group(1)) >= 0, lines[compiling]
    assert lines[compiling - 1].startswith("training ") and lines[compiling + 1].startswith(
        "result ")
    # the step time counts the steps only: the History keeps the compile time apart
    from microgrid.data import make_moons
    from microgrid.optim import Adam
    from microgrid.train import Objective, fit

    X, y = make_moons(n=30, seed=0)
    mlp = MLP(2, [4, 1], activation="relu", output_activation="linear", seed=0)
    steps, seen = [], []
    h = fit(mlp, X, y, Objective("hinge"), Adam(mlp.parameters()), 3,
            on_compile=lambda s, ok: seen.append((s, ok, len(steps))),
            on_step=lambda *a: steps.append(a))
    assert len(seen) == 1 and seen[0][1] is True and seen[0][2] == 0  # once, before step 1
    assert h.compile_seconds == seen[0][0] > 0 and h.seconds > 0


def test_fit_keeps_the_compile_time_out_of_the_steps_time(monkeypatch):
    # a clock that only moves when the graph is built and compiled (100 s) or a step runs
    # (1 s each): the History must put the 100 s in compile_seconds and none in seconds
    from microgrid import train
    from microgrid.data import make_moons
    from microgrid.optim import Adam

    now = [0.0]
    monkeypatch.setattr(train.time, "perf_counter", lambda: now[0])
    build = train._CompiledBatch.build.__func__

    def slow_build(cls, *args):
        now[0] += 100.0
        return build(cls, *args)

    monkeypatch.setattr(train._CompiledBatch, "build", classmethod(slow_build))
    X, y = make_moons(n=20, seed=0)
    mlp = MLP(2, [3, 1], activation="relu", output_activation="linear", seed=0)

    def step(*_):
        now[0] += 1.0

    h = train.fit(mlp, X, y, train.Objective("hinge"), Adam(mlp.parameters()), 5, on_step=step)
    assert h.compiled_steps == 5
    assert h.compile_seconds == 100.0 and h.seconds == 5.0


def test_train_without_compiling_prints_no_compile_line(capsys):
    from microgrid.cli import command as cli

    assert cli.main(["train", "--samples", "30", "--steps", "3", "--no-plot",
                     "--no-compile"]) == 0
    assert "compile " not in capsys.readouterr().out


@pytest.mark.parametrize("extra", [["--lr", "1e6"], ["--optimizer", "sgd", "--lr", "1e3"]])
def test_train_that_diverges_says_so_exits_1_and_keeps_the_saved_model(tmp_path, extra):
    p = run("train", "--samples", "40", "--steps", "40", "--no-plot", "--save", "m.json",
            *extra, cwd=tmp_path)
    assert_clean_failure(p, 1, "training diverged", "the loss grew from", "smaller --lr")
    assert "saved     m.json" in p.stdout
    assert MLP.load(str(tmp_path / "m.json")).nouts == [16, 16, 1]


def test_train_that_converges_is_not_called_diverged(trained):
    p, _ = trained
    assert "diverged" not in p.stdout + p.stderr


def test_diverged_reads_overflow_and_growth_but_not_a_small_rise():
    from microgrid.cli.training import _diverged

    assert "overflowed" in _diverged(1.0, math.inf)
    assert "grew from 0.99 at step 1 to 5e+18" in _diverged(0.99, 5e18)
    assert _diverged(1.0, 50.0) is None  # 50× worse: bad, but not by orders of magnitude
    assert _diverged(1e-6, 0.5) is None  # a tiny first loss that rose a little
    assert _diverged(0.7, 0.01) is None


def test_demo_checks_its_output_path_before_printing_its_report(tmp_path):
    p = run("demo", "--out", str(tmp_path / "nonexistent" / "d.svg"), cwd=tmp_path)
    assert_clean_failure(p, 2, "--out", "does not exist")
    assert p.stdout == ""  # no report first, then a failure


def test_cli_modules_stay_under_the_project_limit_of_500_lines():
    root = Path(__file__).resolve().parent.parent / "microgrid" / "cli"
    for path in root.glob("*.py"):
        assert len(path.read_text(encoding="utf-8").splitlines()) <= 500, path.name


# ---------------------------------------------------------------------------------- dev.sh
DEV_SH = Path(__file__).resolve().parent.parent / "dev.sh"


def dev_sh(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(DEV_SH), *args], capture_output=True, text=True,
                          timeout=60)


@pytest.mark.parametrize("args", [[], ["help"], ["--help"]])
def test_dev_sh_help_lists_the_tasks_and_no_code(args):
    p = dev_sh(*args)
    assert p.returncode == 0, p.stderr
    for task in ("demo", "test", "bench", "docs"):
        assert f"./dev.sh {task}" in p.stdout
    assert "set -" not in p.stdout and "cd " not in p.stdout


def test_dev_sh_with_an_unknown_task_says_so_and_exits_2():
    p = dev_sh("foo")
    assert p.returncode == 2
    assert "unknown task 'foo'" in p.stderr and "./dev.sh docs" in p.stderr


def test_train_whose_loss_overflows_says_it_diverged_and_saves_nothing(tmp_path):
    p = run("train", "--samples", "40", "--steps", "20", "--no-plot", "--save", "m.json",
            "--lr", "1e300", cwd=tmp_path)
    assert_clean_failure(p, 1, "training diverged", "overflowed", "nothing was saved",
                         "smaller --lr")
    assert not (tmp_path / "m.json").exists()


# ------------------------------------------------------------- one exit-status rule, every command
# The command line's one rule: a problem found before work starts is exit 2 with one
# line naming it; a failure while running (a diverged run) is exit 1; nothing half-written.
MODEL_FILES = {
    "model.json": None,  # a good model with 2 inputs and 1 output, written by the fixture
    "empty.json": "{}",
    "noversion.json": '{"format": "microgrid.mlp"}',
    "cut.json": '{"format": "microgrid.mlp", "version": 1, "archi',
}
STATUS_TABLE = [
    # (command line, status, words the one line holds)
    (["demo", "--out", "missing/g.svg"], 2, ["--out missing/g.svg", "does not exist"]),
    (["demo", "--out", "g.xyz"], 2, ["--out", ".xyz"]),
    (["demo", "--frob"], 2, ["unrecognized arguments: --frob"]),
    (["explore", "absent.json", "1", "2", "--y", "1"], 2, ["no such model file: absent.json"]),
    (["explore", "cut.json", "1", "2", "--y", "1"], 2, ["cut.json", "not valid JSON"]),
    (["explore", "model.json", "1", "--y", "1"], 2, ["takes 2 inputs (x1 x2), got 1"]),
    (["explore", "model.json", "1", "2"], 2, ["give --y with 1 target, got none"]),
    (["explore", "model.json", "1", "2", "--y", "1", "2"], 2, ["--y with 1 target, got 2"]),
    (["explore", "--out", "page.txt"], 2, ["--out page.txt", ".html"]),
    (["explore", "--out", "missing/page.html"], 2, ["--out missing/page.html", "does not exist"]),
    (["train", "--steps", "2", "--save", "missing/m.json", "--no-plot"], 2,
     ["--save missing/m.json", "does not exist"]),
    (["train", "--steps", "2", "--plot", "missing/p.png"], 2,
     ["--plot missing/p.png", "does not exist"]),
    (["train", "--steps", "2", "--plot", "p.xyz"], 2, ["argument --plot", ".xyz"]),
    (["train", "--steps", "0"], 2, ["argument --steps: expected a positive integer"]),
    (["train", "--samples", "40", "--steps", "40", "--no-plot", "--lr", "1e6"], 1,
     ["training diverged"]),
    (["predict", "absent.json", "1", "2"], 2, ["no such model file: absent.json"]),
    (["predict", "empty.json", "1", "2"], 2, ["missing field 'format'"]),
    (["predict", "noversion.json", "1", "2"], 2, ["missing field 'version'"]),
    (["predict", "cut.json", "1", "2"], 2, ["not valid JSON"]),
    (["predict", "model.json", "1"], 2, ["takes 2 inputs (x1 x2), got 1"]),
    (["predict", "model.json", "1", "2", "3"], 2, ["takes 2 inputs (x1 x2), got 3"]),
    (["predict", "model.json", "1", "two"], 2, ["expected a number", "'two'"]),
]


@pytest.fixture
def model_files(tmp_path):
    for name, text in MODEL_FILES.items():
        if text is None:
            MLP(2, [3, 1], activation="relu", output_activation="linear", seed=1).save(
                tmp_path / name)
        else:
            (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_the_status_table_covers_every_command():
    assert {args[0] for args, _, _ in STATUS_TABLE} == {"demo", "explore", "train", "predict"}
    assert {status for _, status, _ in STATUS_TABLE} == {1, 2}


@pytest.mark.parametrize("args, status, words", STATUS_TABLE,
                         ids=[" ".join(a) for a, _, _ in STATUS_TABLE])
def test_every_command_exits_by_one_rule_with_one_line_and_nothing_written(
        args, status, words, model_files):
    before = sorted(os.listdir(model_files))
    p = run(*args, cwd=model_files)
    assert_clean_failure(p, status, f"microgrid {args[0]}: error: ", *words)
    errors = [line for line in p.stderr.splitlines() if ": error: " in line]
    assert len(errors) == 1 and p.stderr.endswith(errors[0] + "\n"), p.stderr
    if status == 2:  # found before work starts: nothing else was said
        assert p.stderr.count("\n") == 1 and p.stdout == "", (p.stdout, p.stderr)
    assert sorted(os.listdir(model_files)) == before  # nothing written, not even a part


def test_a_write_that_fails_half_way_leaves_no_file(tmp_path):
    from microgrid.cli.args import CommandError, write

    def make(tmp):
        with open(tmp, "w") as f:
            f.write("<svg half")
        raise OSError(28, "No space left on device")

    with pytest.raises(CommandError, match=r"cannot write .*out\.svg: No space left on device"):
        write(str(tmp_path / "out.svg"), make)
    assert os.listdir(tmp_path) == []


def test_a_written_file_gets_the_mode_of_a_new_file(tmp_path):
    from microgrid.cli.args import write

    mask = os.umask(0o022)
    try:
        write(str(tmp_path / "out.txt"), lambda tmp: Path(tmp).write_text("whole"))
    finally:
        os.umask(mask)
    assert (tmp_path / "out.txt").read_text() == "whole"
    assert (tmp_path / "out.txt").stat().st_mode & 0o777 == 0o644

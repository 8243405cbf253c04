"""Recording a training run into one page: `microgrid.train.record`, ``train --record`` and the
playground's `Stepper` (the page itself, in a browser: test_recording_browser.py)."""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from microgrid import MLP
from microgrid.data import make_moons
from microgrid.optim import Adam
from microgrid.recording import Recorder, Stepper, recorded_steps
from microgrid.train import History, Objective, evaluate, fit, record

MB = 1_000_000


def page_data(path: Path) -> dict:
    """The recording a page embeds (what its player plays)."""
    text = path.read_text(encoding="utf-8")
    blob = re.search(r'<script type="application/json" id="mg-recording">(.*?)</script>', text,
                     re.S)
    assert blob, "the page has no recording"
    return json.loads(blob[1].replace("<\\/", "</"))


def small_run(tmp_path: Path, steps: int = 30, **options) -> tuple[Path, MLP, list, list, History]:
    X, y = make_moons(n=40, noise=0.1, seed=1)
    mlp = MLP(2, [8, 8, 1], activation="tanh", output_activation="linear", seed=1)
    path = tmp_path / "run.html"
    history = record(path, mlp, X, y, Objective("hinge"), Adam(mlp.parameters(), lr=0.02),
                     steps, **options)
    return path, mlp, X, y, history


# ---------------------------------------------------------------------------- the page
def test_a_recorded_page_loads_nothing_from_outside_itself(tmp_path):
    path, *_ = small_run(tmp_path)
    text = path.read_text(encoding="utf-8")
    # the only URL in it is the SVG namespace (a name, never fetched)
    urls = set(re.findall(r"[a-z]+://[^\s\"'<>)]+", text))
    assert urls == {"http://www.w3.org/2000/svg"}, urls
    assert not re.search(r"\bsrc\s*=|<link\b|\burl\(|\bfetch\s*\(|XMLHttpRequest|\bimport\s*\(",
                         text), "the page loads something"


def test_the_last_step_of_the_page_is_the_trained_network_with_the_loss_evaluate_gives(tmp_path):
    path, mlp, X, y, history = small_run(tmp_path)
    last = page_data(path)["frames"][-1]
    result = evaluate(mlp, X, y, Objective("hinge"))
    assert last["step"] == len(history) == 30
    assert last["loss"] == result.loss and last["correct"] == result.correct
    assert last["W"] == [[[float(f"{w:.4g}") for w in row] for row in layer]
                         for layer in mlp.weights()]


def test_the_first_frame_is_the_untrained_network(tmp_path):
    X, y = make_moons(n=40, noise=0.1, seed=1)
    untrained = MLP(2, [8, 8, 1], activation="tanh", output_activation="linear", seed=1)
    path, *_ = small_run(tmp_path)
    first = page_data(path)["frames"][0]
    assert first["step"] == 0
    assert first["loss"] == evaluate(untrained, X, y, Objective("hinge")).loss


def test_the_curves_are_fits_losses_then_the_final_one(tmp_path):
    path, mlp, X, y, history = small_run(tmp_path)
    curves = page_data(path)["curves"]
    final = evaluate(mlp, X, y, Objective("hinge")).loss
    assert curves["loss"] == pytest.approx([*history.loss, final], rel=1e-4)
    assert curves["accuracy"] == pytest.approx([*history.accuracy, 1.0 * page_data(path)[
        "frames"][-1]["accuracy"]], abs=1e-4)


def test_record_calls_the_callers_on_step_too(tmp_path):
    seen = []
    small_run(tmp_path, steps=5, on_step=lambda step, loss, acc: seen.append(step))
    assert seen == [1, 2, 3, 4, 5]


def test_record_refuses_a_path_that_is_not_html_before_training(tmp_path):
    mlp = MLP(2, [3, 1], seed=0)
    before = mlp.weights()
    with pytest.raises(ValueError, match=r"ending in \.html"):
        record(tmp_path / "run.txt", mlp, [[0.0, 1.0], [1.0, 0.0]], [0, 1], Objective("hinge"),
               Adam(mlp.parameters()), 3)
    assert mlp.weights() == before and os.listdir(tmp_path) == []


def test_a_failed_save_leaves_the_old_file_and_no_temporary_one(tmp_path):
    path, *_ = small_run(tmp_path, steps=3)
    old = path.read_bytes()
    X, y = make_moons(n=10, seed=0)
    mlp = MLP(2, [2, 1], seed=0)
    recording = Recorder(mlp, X, y, Objective("hinge"), 0).finish(History())
    recording.html = None  # writing it fails half-way: a TypeError in f.write
    with pytest.raises(TypeError):
        recording.save(path)
    assert path.read_bytes() == old and os.listdir(tmp_path) == ["run.html"]


# ---------------------------------------------------------------------------- its size
def test_recorded_steps_keep_the_first_the_last_and_are_never_far_apart():
    steps = recorded_steps(10_000)
    assert steps[0] == 0 and steps[-1] == 10_000 and steps[1:5] == [1, 2, 3, 4]
    assert max(b - a for a, b in zip(steps, steps[1:])) <= 10_000 // 100
    assert len(steps) < 150


@pytest.mark.parametrize("sizes", [[16, 16, 1], [32, 32, 32, 32, 3]], ids=["2-16-16-1",
                                                                           "2-32-32-32-32-3"])
def test_a_10000_step_recording_is_under_5_MB(sizes):
    # The size depends on how many numbers are recorded, not on what training made of them:
    # here every recorded weight and every curve point has all its digits (random), the worst
    # case, for a run of 10,000 steps.  (6 points: each frame's evaluation stays quick, and
    # the points are a few bytes of the page.)
    rng = random.Random(0)
    X, y = make_moons(n=6, noise=0.1, seed=0)
    objective = Objective("softmax" if sizes[-1] > 1 else "hinge", n_classes=max(2, sizes[-1]))
    mlp = MLP(2, sizes, activation="tanh", output_activation="linear", seed=0)
    recorder = Recorder(mlp, X, y, objective, 10_000)
    history = History()
    for step in range(1, 10_001):
        history.loss.append(rng.uniform(0.001, 2.0))
        history.accuracy.append(rng.randrange(101) / 100)
        if step in recorder.wanted:
            for p in mlp.parameters():
                p.data = rng.gauss(0.0, 1.0) * 0.1
        recorder(step, history.loss[-1], history.accuracy[-1])
    page = recorder.finish(history).html.encode("utf-8")
    print(f"{len(page)} bytes")
    assert len(page) < 5 * MB, len(page)


# ---------------------------------------------------------------------------- the command
def run_train(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "microgrid", "train", *args], cwd=cwd,
                          capture_output=True, text=True, encoding="utf-8", timeout=300)


def test_train_record_writes_a_page_whose_last_step_has_the_printed_final_loss(tmp_path):
    p = run_train("--samples", "40", "--steps", "40", "--no-plot", "--record", "run.html",
                  cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    printed = re.search(r"final model on all 40 points: loss (\d+\.\d{4})", p.stdout)[1]
    last = page_data(tmp_path / "run.html")["frames"][-1]
    assert last["step"] == 40 and f"{last['loss']:.4f}" == printed
    assert "recorded  run.html" in p.stdout


@pytest.mark.parametrize("record, message", [
    ("run.htm", "argument --record: 'run.htm' is not an .html file"),
    ("run", "argument --record: 'run' is not an .html file"),
    ("nowhere/run.html", "--record nowhere/run.html: the folder"),
    ("folder.html", "--record folder.html: is a folder"),
    ("m.html", "argument --record: m.html is also the --save file"),
], ids=["htm", "no-suffix", "missing-folder", "a-folder", "same-as-save"])
def test_train_record_with_a_bad_path_exits_2_with_one_line_before_training(
        record, message, tmp_path):
    (tmp_path / "folder.html").mkdir()
    p = run_train("--steps", "3", "--no-plot", "--save", "m.html", "--record", record,
                  cwd=tmp_path)
    assert p.returncode == 2, (p.returncode, p.stderr)
    errors = [line for line in p.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and message in errors[0], p.stderr
    assert "Traceback" not in p.stderr and "step" not in p.stderr.replace("--steps", "")
    assert p.stdout == "" and sorted(os.listdir(tmp_path)) == ["folder.html"]


# ---------------------------------------------------------------------------- the playground
def test_the_steppers_steps_are_fits_steps():
    run = Stepper(dataset="moons", samples=30, hidden=[6, 6], activation="tanh", loss="bce",
                  optimizer="adam", lr=0.03, steps=25)
    run.start()
    losses = []
    while not run.done:
        update = run.advance(7)
        losses += update["loss"]
    X, y = make_moons(n=30, seed=0)
    mlp = MLP(2, [6, 6, 1], activation="tanh", output_activation="linear", seed=0)
    objective = Objective("bce")
    history = fit(mlp, X, y, objective, Adam(mlp.parameters(), lr=0.03), 25)
    assert losses == pytest.approx(history.loss, rel=1e-4)
    assert update["frame"]["loss"] == evaluate(mlp, X, y, objective).loss
    assert update["frame"]["step"] == 25 and update["done"]


@pytest.mark.parametrize("settings, message", [
    ({"samples": 2}, "samples must be a whole number from 4 to 400, got 2"),
    ({"hidden": [16, 0]}, "a hidden layer's size must be a whole number from 1 to 32, got 0"),
    ({"hidden": [4] * 5}, "the number of hidden layers must be a whole number from 0 to 4"),
    ({"lr": 50.0}, "learning rate must be a number from 1e-05 to 10, got 50.0"),
    ({"lr": float("nan")}, "learning rate must be a number"),
    ({"steps": 0}, "steps must be a whole number from 1 to 100000, got 0"),
    ({"activation": "linear"}, "activation must be one of sigmoid, tanh, relu"),
    ({"dataset": "blobs"}, "blobs has 3 classes; the hinge loss separates two: use softmax"),
], ids=["samples", "width", "depth", "lr", "lr-nan", "steps", "activation", "blobs-hinge"])
def test_the_playground_refuses_a_setting_out_of_range_with_one_line(settings, message):
    with pytest.raises(ValueError) as e:
        Stepper(**settings)
    assert message in str(e.value) and "\n" not in str(e.value)

"""`microgrid explore [MODEL.json x1 x2 … --y Y] [--cost NAME] [--out FILE.html]`: the demo
network's pass, or a saved model's on one example; a bad argument is exit status 2, one line
naming it, and no file written."""

from __future__ import annotations

import pytest

from microgrid import MLP
from microgrid.backprop import backprop
from microgrid.cli.command import main
from microgrid.explorer.page import read_data


@pytest.fixture
def model(tmp_path):
    """A model as `train --save` writes it: relu hidden layers, a linear output."""
    mlp = MLP(2, [3, 1], activation="relu", output_activation="linear", seed=3)
    path = tmp_path / "model.json"
    mlp.save(path)
    return mlp, path


def page_data(path) -> dict:
    return read_data(path.read_text(encoding="utf-8"))


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["explore", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_explore_plays_a_saved_model_on_the_given_example(tmp_path, capsys, model):
    mlp, path = model
    out = tmp_path / "mine.html"
    code, printed, err = run(capsys, path, 0.5, -0.25, "--y", 1, "--out", out)
    assert code == 0 and printed.strip() == str(out) and err == ""
    data = page_data(out)
    r = backprop(mlp.weights(), mlp.biases(), [0.5, -0.25], [1.0], activation="relu",
                 output_activation="linear")
    w = mlp.layers[0].neurons[1].w[0]
    cert = next(c for i, c in data["certificates"].items()
                if data["nodes"][int(i)]["label"] == w.label)
    assert cert["rows"][0]["value"] == pytest.approx(r.grad_w[0][1][0], abs=1e-12)


def test_a_saved_models_backward_pass_plays_as_the_delta_wave(tmp_path, capsys, model):
    _, path = model
    out = tmp_path / "mine.html"
    assert run(capsys, path, 0.5, -0.25, "--y", 1, "--out", out)[0] == 0
    data = page_data(out)
    kinds = [s.get("kind") for s in data["modes"][data["mode"]] if s["phase"] == "backward"]
    assert data["mode"] == "wave" and kinds.index("BP1") < kinds.index("BP2")


def test_the_demo_is_what_explore_writes_without_a_model(tmp_path, capsys):
    out = tmp_path / "demo.html"
    code, printed, _ = run(capsys, "--out", out)
    assert code == 0 and out.exists() and page_data(out)["mode"] == "wave"


@pytest.mark.parametrize("name", ["page.txt", "page.htm", "page"])
def test_an_out_not_ending_in_html_is_refused_and_nothing_written(tmp_path, capsys, name):
    code, printed, err = run(capsys, "--out", tmp_path / name)
    assert code == 2 and printed == ""
    assert err.count("\n") == 1 and name in err and ".html" in err
    assert list(tmp_path.iterdir()) == []


def test_a_wrong_number_of_inputs_is_refused_naming_them(tmp_path, capsys, model):
    _, path = model
    out = tmp_path / "mine.html"
    code, _, err = run(capsys, path, 0.5, "--y", 1, "--out", out)
    assert code == 2 and err.count("\n") == 1
    assert "takes 2 inputs (x1 x2), got 1" in err
    assert not out.exists()


def test_a_missing_target_is_refused(tmp_path, capsys, model):
    _, path = model
    out = tmp_path / "mine.html"
    code, _, err = run(capsys, path, 0.5, -0.25, "--out", out)
    assert code == 2 and err.count("\n") == 1 and "--y" in err and not out.exists()


def test_a_target_without_a_model_is_refused(tmp_path, capsys):
    out = tmp_path / "demo.html"
    code, _, err = run(capsys, "--y", 1, "--out", out)
    assert code == 2 and err.count("\n") == 1 and "MODEL.json" in err and not out.exists()


@pytest.mark.parametrize("content, says", [
    (None, "no such model file"),
    ("{not json", "not valid JSON"),
    ('{"format": "something else"}', "not a microgrid model"),
])
def test_a_bad_model_file_is_refused_naming_it(tmp_path, capsys, content, says):
    path = tmp_path / "model.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    out = tmp_path / "mine.html"
    code, _, err = run(capsys, path, 0.5, -0.25, "--y", 1, "--out", out)
    assert code == 2 and err.count("\n") == 1
    assert says in err and "model.json" in err
    assert not out.exists()


def test_an_input_that_is_not_a_number_is_refused(tmp_path, capsys, model):
    _, path = model
    out = tmp_path / "mine.html"
    code, _, err = run(capsys, path, 0.5, "abc", "--y", 1, "--out", out)
    assert code == 2 and err.count("\n") == 1 and "'abc'" in err and not out.exists()


def test_cross_entropy_on_a_linear_output_is_refused(tmp_path, capsys, model):
    _, path = model
    out = tmp_path / "mine.html"
    code, _, err = run(capsys, path, 0.5, -0.25, "--y", 1, "--cost", "cross_entropy",
                       "--out", out)
    assert code == 2 and err.count("\n") == 1 and "sigmoid" in err and not out.exists()


def test_cross_entropy_is_the_closed_forms_on_a_sigmoid_model(tmp_path, capsys):
    mlp = MLP(2, [2, 2], seed=5)  # sigmoid outputs
    path = tmp_path / "model.json"
    mlp.save(path)
    out = tmp_path / "ce.html"
    code, _, err = run(capsys, path, 1, -1, "--y", 1, 0, "--cost", "cross_entropy",
                       "--out", out)
    assert code == 0, err  # explore checks the graph's C against backprop's: they agree
    rows = next(iter(page_data(out)["certificates"].values()))["rows"]
    assert rows[1]["value"] == pytest.approx(rows[0]["value"], abs=1e-12)


def test_negative_numbers_in_scientific_notation_are_inputs_and_targets(tmp_path, capsys, model):
    _, path = model
    out = tmp_path / "mine.html"
    code, _, err = run(capsys, path, "-1e-3", "2.5E-1", "--y", "-1e-2", "--out", out)
    assert code == 0, err
    first = next(s for s in page_data(out)["modes"]["wave"] if s["phase"] == "forward")
    assert "(−0.001)" in first["html"]  # x1 = −1e-3 in z^2_1's numbers


@pytest.mark.parametrize("flag", [[], ["--predict"]], ids=["without", "with --predict"])
def test_predict_opens_the_page_in_predict_mode(tmp_path, capsys, model, flag):
    _, path = model
    out = tmp_path / "mine.html"
    assert run(capsys, path, 0.5, -0.25, "--y", 1, *flag, "--out", out)[0] == 0
    assert page_data(out)["predict"] is bool(flag)

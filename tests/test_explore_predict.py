"""Predict mode, the layer view and keeping the learner's place (issue 28; the API contract,
"explore"), in Chromium: the page asks for each backward step's number before it shows it, and
the answer is nowhere on the page until given or shown; the layer view's cells fill in at their
steps; a switch of view or mode keeps the step's quantity."""

from __future__ import annotations

import pytest
from pages import Opened, checked_at_the_end

from microgrid import MLP
from microgrid.cli.command import DEMO_SEED, DEMO_SIZES, DEMO_X, DEMO_Y
from microgrid.explorer import explore
from microgrid.losses import quadratic
from microgrid.notation import index, sup


def demo(predict: bool):
    nin, *nouts = DEMO_SIZES
    mlp = MLP(nin, nouts, seed=DEMO_SEED)
    C = quadratic(mlp(DEMO_X), DEMO_Y)
    C.label = "C"
    return mlp, C, explore(C, mlp=mlp, x=DEMO_X, y=DEMO_Y, predict=predict)


@pytest.fixture(scope="module")
def asking():
    return demo(True)


@pytest.fixture
def opened(browser, tmp_path):
    with checked_at_the_end() as pages:
        def open_(explorer):
            path = explorer.save(tmp_path / "explorer.html")
            pages.append(Opened(browser, path, 1280, 720))
            return pages[-1].page
        yield open_


def counter(page) -> int:
    return int(page.inner_text("#counter").split("/")[0])


def asked(explorer) -> list[int]:
    return [s for s, step in enumerate(explorer.steps) if step.get("ask")]


def written(x: float) -> set[str]:
    """The ways a page could write the number x: 4 significant digits, either minus."""
    text = f"{x:.4g}"
    return {text, text.replace("-", "−"), f"{x:.5g}".replace("-", "−")}


def everything(page) -> str:
    """The whole page as the browser holds it: its text, every attribute, every title."""
    return page.evaluate("() => document.documentElement.outerHTML")


def to_first_question(page, explorer) -> int:
    first = asked(explorer)[0]
    for _ in range(first):
        page.keyboard.press("ArrowRight")
    assert counter(page) == first and page.is_visible("input[data-predict]")
    return first


def answer(page, text: str) -> None:
    page.fill("input[data-predict]", text)
    page.press("input[data-predict]", "Enter")


# ---------------------------------------------------------------------------- asking
def test_each_backward_step_that_computes_a_number_asks_for_it(asking):
    *_, explorer = asking
    backward = [s for s, step in enumerate(explorer.steps)
                if step["phase"] == "backward" and step["sets"] and step.get("kind") != "seed"]
    assert backward and asked(explorer) == backward


def test_a_wrong_number_is_refused_and_the_answer_is_nowhere_on_the_page(opened, asking):
    *_, explorer = asking
    page = opened(explorer)
    s = to_first_question(page, explorer)
    datas, checked = {n["data"] for n in explorer.data["nodes"]}, 0
    for later in asked(explorer)[:14]:  # this step and the next ones: none of them answered
        s = later
        v = explorer.steps[s]["ask"]["v"]
        answer(page, f"{v * 3 + 1:.4g}")
        assert "Not right" in page.inner_text("#ask") and counter(page) == s
        html = everything(page)
        if not written(v) & datas:  # (an answer that equals some value's data is on the page)
            checked += 1
            assert [w for w in written(v) if w in html] == [], (s, v)
        assert page.inner_text("#ask").count("▢") == 1  # the formula, its answer blank
        page.keyboard.press("s")  # shown: on to the next
        page.keyboard.press("ArrowRight")
    assert checked >= 4


def test_the_right_number_is_accepted_and_the_step_shown(opened, asking):
    *_, explorer = asking
    page = opened(explorer)
    s = to_first_question(page, explorer)
    v = explorer.steps[s]["ask"]["v"]
    answer(page, f"{v * 1.01:.6g}")  # within 2 %
    assert "Right" in page.inner_text("#ask")
    assert not page.is_visible("input[data-predict]")
    assert any(w in page.inner_text("#now-html") for w in written(v))


def test_right_means_within_2_percent_or_1e_3_for_small_answers(opened, asking):
    *_, explorer = asking
    page = opened(explorer)
    s = to_first_question(page, explorer)
    v = explorer.steps[s]["ask"]["v"]
    near = v * 1.03 if abs(v) >= 0.05 else v + 2e-3  # just outside
    answer(page, f"{near:.6g}")
    assert "Not right" in page.inner_text("#ask")


def test_arrow_right_and_end_do_not_pass_an_unanswered_step(opened, asking):
    *_, explorer = asking
    page = opened(explorer)
    s = to_first_question(page, explorer)
    page.focus("#next")
    page.keyboard.press("ArrowRight")
    assert counter(page) == s
    page.keyboard.press("End")
    assert counter(page) == s
    page.click(f"#steps li[data-step='{len(explorer.steps) - 1}']")
    assert counter(page) == s


def test_arrow_left_and_home_leave_an_unanswered_step(opened, asking):
    *_, explorer = asking
    page = opened(explorer)
    s = to_first_question(page, explorer)
    page.focus("#prev")
    page.keyboard.press("ArrowLeft")
    assert counter(page) == s - 1
    page.keyboard.press("ArrowRight")
    page.focus("#home")
    page.keyboard.press("Home")
    assert counter(page) == 0


def test_show_reveals_the_answer(opened, asking):
    *_, explorer = asking
    page = opened(explorer)
    s = to_first_question(page, explorer)
    page.keyboard.press("s")  # the input has the focus: S still shows
    v = explorer.steps[s]["ask"]["v"]
    assert any(w in page.inner_text("#now-html") for w in written(v))
    page.keyboard.press("ArrowRight")
    assert counter(page) == s + 1


def test_the_score_counts_right_first_time(opened, asking):
    *_, explorer = asking
    page = opened(explorer)
    s = to_first_question(page, explorer)
    answer(page, f"{explorer.steps[s]['ask']['v']:.6g}")  # right first time
    page.keyboard.press("ArrowRight")
    v = explorer.steps[s + 1]["ask"]["v"]
    answer(page, f"{v * 5 + 1:.4g}")  # wrong, then right: not first time
    answer(page, f"{v:.6g}")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("s")  # shown
    assert page.inner_text("#score") == "right first time: 1 of 3"


def test_the_toggle_and_key_p_turn_predict_mode_on_in_any_page(opened):
    *_, explorer = demo(False)
    page = opened(explorer)
    first = asked(explorer)[0]
    for _ in range(first):
        page.keyboard.press("ArrowRight")
    assert not page.is_visible("input[data-predict]")
    page.keyboard.press("p")
    assert page.is_visible("input[data-predict]")
    assert page.get_attribute("#predict", "aria-pressed") == "true"
    page.click("#predict")
    assert not page.is_visible("input[data-predict]")


def test_predict_mode_works_inline_in_a_notebook(browser, tmp_path, asking):
    *_, explorer = asking
    host = tmp_path / "notebook.html"
    host.write_text(f"<!DOCTYPE html><html><body>{explorer._repr_html_()}</body></html>",
                    encoding="utf-8")
    with checked_at_the_end() as pages:
        pages.append(Opened(browser, host, 1280, 800))
        page = pages[-1].page
        page.wait_for_function("document.querySelector('iframe').contentDocument.body && "
                               "document.querySelector('iframe').contentDocument.body"
                               ".getAttribute('data-step') === '0'")
        frame = page.frames[1]
        frame.click("#next")
        first = asked(explorer)[0]
        for _ in range(first - 1):
            page.keyboard.press("ArrowRight")
        assert frame.is_visible("input[data-predict]")
        v = explorer.steps[first]["ask"]["v"]
        frame.fill("input[data-predict]", f"{v:.6g}")
        frame.press("input[data-predict]", "Enter")
        assert "Right" in frame.inner_text("#ask")


# ---------------------------------------------------------------------------- the layer view
def cell_titles(page) -> list[str]:
    return page.eval_on_selector_all("#layer button.c", "cs => cs.map(c => c.title)")


def every_gradient_and_delta(mlp, C) -> list[str]:
    t = mlp.trace(DEMO_X)
    cost = quadratic(t.a[-1], DEMO_Y)
    cost.backward()
    out = []
    for i, layer in enumerate(mlp.layers):
        l = i + 2
        for j, neuron in enumerate(layer.neurons, 1):
            out.append(f"δ^{sup(l)}_{index(j)} = {t.z[i][j - 1].grad:.4g}")
            out += [f"∂C/∂w^{sup(l)}_{index(j, k)} = {w.grad:.4g}"
                    for k, w in enumerate(neuron.w, 1)]
    mlp.zero_grad()
    return out


def test_at_the_end_every_weight_gradient_and_delta_is_in_a_cells_title(opened):
    mlp, C, explorer = demo(False)
    page = opened(explorer)
    page.keyboard.press("l")
    page.keyboard.press("End")
    titles = set(cell_titles(page))
    assert [q for q in every_gradient_and_delta(mlp, C) if q not in titles] == []


def test_at_home_no_gradient_or_delta_is_in_any_cell(opened):
    mlp, C, explorer = demo(False)
    page = opened(explorer)
    page.keyboard.press("l")
    page.keyboard.press("End")
    page.keyboard.press("Home")
    titles = " ".join(cell_titles(page)) + page.inner_text("#layer")
    numbers = [q.split(" = ")[1] for q in every_gradient_and_delta(mlp, C)]
    assert numbers and [n for n in numbers if n in titles or n.replace("-", "−") in titles] == []


def test_a_cell_fills_in_at_the_step_that_computes_it_and_a_click_opens_that_step(opened):
    mlp, C, explorer = demo(False)
    page = opened(explorer)
    page.keyboard.press("l")
    cell = explorer.data["matrix"]["layers"][3]["delta"][0]  # δ^3_1, BP1's first
    at = cell["at"]["wave"]
    page.click(f"#steps li[data-step='{at - 1}']")
    title = "δ^3_1 = "
    assert not any(t.startswith(title) for t in cell_titles(page))
    page.keyboard.press("ArrowRight")
    assert cell["t"] in cell_titles(page)
    page.keyboard.press("Home")
    page.click(f"#layer button.c[title='{cell['t'].split(' = ')[0]} (not computed yet)']")
    assert counter(page) == at and page.get_attribute("body", "data-view") == "graph"


def test_any_scalar_step_opens_its_layer(opened):
    mlp, C, explorer = demo(False)
    page = opened(explorer)
    s = next(k for k, step in enumerate(explorer.steps) if step.get("kind") == "BP2")
    page.click(f"#steps li[data-step='{s}']")
    page.keyboard.press("l")
    assert page.get_attribute("#layer section.lay.current", "data-layer") == \
        str(explorer.steps[s]["layer"])
    assert counter(page) == s


# ---------------------------------------------------------------------------- keeping place
def test_edge_by_edge_pressed_at_end_stays_at_the_end(opened):
    *_, explorer = demo(False)
    page = opened(explorer)
    page.keyboard.press("End")
    page.click("#mode")
    last = len(explorer.data["modes"]["edges"]) - 1
    assert page.inner_text("#counter") == f"{last} / {last}"


@pytest.mark.parametrize("kind", ["BP1", "BP2", "BP34"])
def test_a_switch_of_mode_goes_to_the_step_that_gives_the_same_quantity(opened, kind):
    *_, explorer = demo(False)
    page = opened(explorer)
    wave, edges = explorer.data["modes"]["wave"], explorer.data["modes"]["edges"]
    s = next(k for k, step in enumerate(wave) if step.get("kind") == kind)
    page.click(f"#steps li[data-step='{s}']")
    page.click("#mode")
    t = counter(page)
    quantities = {i for i, _ in wave[s]["sets"]}
    assert quantities & {i for i, _ in edges[t]["sets"]}  # the same quantity …
    done = explorer.data["done"]["edges"]
    assert all(done[str(i)] <= t for i in quantities)  # … all of it given by then
    page.click("#mode")  # and back
    assert counter(page) == s


def test_a_switch_of_view_keeps_the_step(opened):
    *_, explorer = demo(False)
    page = opened(explorer)
    page.click("#steps li[data-step='30']")
    for key in "nlg":
        page.keyboard.press(key)
        assert counter(page) == 30


def test_from_the_keyboard_alone_the_box_takes_the_number_and_left_goes_back(opened, asking):
    *_, explorer = asking
    page = opened(explorer)
    s = to_first_question(page, explorer)  # → only; the box has the focus
    page.keyboard.type(f"{explorer.steps[s]['ask']['v']:.6g}")
    page.keyboard.press("Enter")
    assert "Right" in page.inner_text("#ask")
    page.keyboard.press("ArrowRight")  # the next question, its box focused and empty
    assert counter(page) == s + 1 and page.evaluate(
        "() => document.activeElement.hasAttribute('data-predict')")
    page.keyboard.press("ArrowLeft")
    assert counter(page) == s

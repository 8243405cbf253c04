"""The project cites only what a user can open: its own derivation, docs/backprop.md.

* no file cites documents outside the repository ("document 004", "DESIGN.md", ...);
* every "§N" cited points at a section docs/backprop.md has, and its headings stay the ones
  the code cites (§1 Notation … §11 the op table);
* the code and tests docs/backprop.md names exist, and its code blocks run;
* the README links it.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DERIVATION = ROOT / "docs" / "backprop.md"

# What the code, tests and notebooks cite, by section (HELPERS' list; changing a title or a
# number breaks every "docs/backprop.md §N" citation, so it is a contract).
SECTIONS = {
    1: "Notation",
    2: "The forward pass",
    3: "The cost of one example and of a data set",
    4: "The chain rule on a graph",
    5: "BP1: the error at the output layer",
    6: "BP2: the error of a hidden layer",
    7: "BP3 and BP4: gradients of biases and weights",
    8: "σ'(z) = σ(z)(1 − σ(z))",
    9: "Cross-entropy with sigmoid outputs: δ^L = a^L − y",
    10: "Further reading",
    11: "Every operation's derivative, written once: the op table",
}

# Citations of documents a user cannot open: the reference notes the project started from
# ("document 004", "doc 002", "documents 000/001") and its internal design contract.
OUTSIDE = re.compile(
    r"doc(?:ument)?s? ?0\d\d"
    r"|DESIGN\.md|shared/docs"
    r"|\bthe (?:reference )?documents\b|\bdocuments'|\bdocument layers?\b",
    re.IGNORECASE,
)


def project_files() -> list[Path]:
    """Every text file a user reads: code, tests, notebooks, docs, README, benchmarks."""
    files = [ROOT / "README.md", ROOT / "pyproject.toml", ROOT / "dev.sh"]
    for folder, pattern in [
        ("microgrid", "*.py"),
        ("tests", "*.py"),
        ("notebooks", "*.ipynb"),
        ("docs", "*.md"),
        ("docs", "*.py"),
        ("docs", "*.svg"),
        ("bench", "*.py"),
        ("bench", "*.md"),
    ]:
        files += sorted((ROOT / folder).rglob(pattern))
    this = Path(__file__).resolve()
    return [f for f in files if f.is_file() and f.resolve() != this]


def headings() -> dict[int, str]:
    """{N: title} of the derivation's ``## §N title`` headings, in file order."""
    found = re.findall(r"^## §(\d+) (.+?)\s*$", DERIVATION.read_text(encoding="utf-8"), re.M)
    return {int(n): title for n, title in found}


def test_there_are_files_to_check():
    names = {f.name for f in project_files()}
    assert {"README.md", "engine.py", "test_equations.py", "backprop.md"} <= names
    assert any(n.endswith(".ipynb") for n in names)


def test_no_file_cites_a_document_outside_the_repository():
    hits = []
    for f in project_files():
        for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            for m in OUTSIDE.finditer(line):
                hits.append(f"{f.relative_to(ROOT)}:{n}: {m.group(0)!r} in {line.strip()[:90]!r}")
    assert not hits, "cite docs/backprop.md §N instead:\n" + "\n".join(hits)


def test_the_derivation_has_the_sections_the_code_cites_in_order():
    found = re.findall(r"^## §(\d+) ", DERIVATION.read_text(encoding="utf-8"), re.M)
    assert [int(n) for n in found] == list(SECTIONS)
    assert headings() == SECTIONS


def test_every_section_cited_anywhere_exists():
    # A citation is "docs/backprop.md §6", a list "§3, §5" or a range "§5–§7"; files that
    # cite the derivation also say "(BP2, §6)".  Every § number must be a section.
    sections = headings()
    bad = []
    for f in [*project_files(), DERIVATION]:
        for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            for number in re.findall(r"§\s?(\d+)", line):
                if int(number) not in sections:
                    bad.append(f"{f.relative_to(ROOT)}:{n}: §{number} in {line.strip()[:90]!r}")
    assert not bad, f"docs/backprop.md has sections §1–§{max(sections)} only:\n" + "\n".join(bad)


def slug(title: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces → '-'."""
    return re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")


def test_links_into_the_derivation_point_at_its_headings():
    anchors = {slug(f"§{n} {title}") for n, title in headings().items()}
    bad = []
    for f in [*project_files(), DERIVATION]:
        text = f.read_text(encoding="utf-8")
        for anchor in re.findall(r"backprop\.md#([^)\s\"]+)", text):
            if anchor not in anchors:
                bad.append(f"{f.relative_to(ROOT)}: #{anchor}")
        if f == DERIVATION:
            bad += [f"docs/backprop.md: #{a}" for a in re.findall(r"\]\(#([^)]+)\)", text)
                    if a not in anchors]
    assert not bad, f"no such heading (anchors are {sorted(anchors)}):\n" + "\n".join(bad)


def test_readme_links_the_derivation():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "](docs/backprop.md)" in readme


def test_tests_named_in_the_derivation_exist():
    text = DERIVATION.read_text(encoding="utf-8")
    named = re.findall(r"(tests/test_\w+\.py)::(test_\w+)", text)
    assert len(named) >= 10
    missing = [
        f"{path}::{name}"
        for path, name in named
        if not re.search(rf"^def {name}\(", (ROOT / path).read_text(encoding="utf-8"), re.M)
    ]
    assert not missing, missing


def test_code_named_in_the_derivation_exists():
    # "**In the code:** `microgrid/backprop.py` `output_error` ...": each function, class or
    # Class.method named after a file must be defined in that file.
    text = DERIVATION.read_text(encoding="utf-8")
    checked, missing = 0, []
    for paragraph in re.findall(r"\*\*In the code:\*\*(.*?)(?:\*\*Checked by|\n\n)", text, re.S):
        for path, rest in re.findall(r"`(microgrid/\w+\.py)`((?:(?!`microgrid/).)*)", paragraph,
                                     re.S):
            source = (ROOT / path).read_text(encoding="utf-8")
            for name in re.findall(r"`((?:[A-Z]\w*\.)?[A-Za-z_]\w*)`", rest):
                *cls, attr = name.split(".")
                ok = re.search(rf"^\s*(?:def|class) {attr}\b", source, re.M) and all(
                    re.search(rf"^class {c}\b", source, re.M) for c in cls
                )
                checked += 1
                if not ok:
                    missing.append(f"{path} {name}")
    assert checked >= 20
    assert not missing, missing


@pytest.mark.parametrize(
    "block",
    re.findall(r"```python\n(.*?)```", DERIVATION.read_text(encoding="utf-8"), re.S),
    ids=lambda b: b.splitlines()[0][:40],
)
def test_code_blocks_of_the_derivation_run(block):
    exec(compile(block, str(DERIVATION), "exec"), {})  # each block asserts what it shows


# ---------------------------------------------------------------------------- README and site
# Every page a reader copies code from: the README and the site's pages (docs/backprop.md's
# blocks are run above, with their own assertions).
PAGES = ["README.md", *sorted(
    p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").rglob("*.md")
    if p.name != "backprop.md")]
# Pages whose examples read a file another page's example wrote (moons.json): that page first.
NEEDS = {"docs/guide/saving.md": "docs/guide/training.md",
         "docs/guide/torch.md": "docs/guide/training.md"}
FENCE = re.compile(r"^```(\w*)\n(.*?)^```\n", re.S | re.M)
# lines of a command's output that hold a time, which no two runs share
TIMED = re.compile(r"^(time|compile) ")


def examples(page: str) -> list[tuple[str, str, str | None]]:
    """(kind, code, the output shown right after it or None) for each runnable block of a
    page: ```python blocks, and ```text blocks of `$ microgrid …` sessions."""
    text = (ROOT / page).read_text(encoding="utf-8")
    blocks = [(m.group(1), m.group(2), m.start(), m.end()) for m in FENCE.finditer(text)]
    found = []
    for i, (lang, code, _, end) in enumerate(blocks):
        nxt = blocks[i + 1] if i + 1 < len(blocks) else None
        shown = nxt[1] if nxt and nxt[0] == "" and not text[end:nxt[2]].strip() else None
        if lang == "python":
            found.append(("python", code, shown))
        elif lang == "text" and code.startswith("$ microgrid"):
            found.append(("console", code, None))
    return found


def run_python(code: str, where: str) -> str:
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, where, "exec"), {"__name__": "__main__"})
    return out.getvalue()


def run_console(session: str) -> list[tuple[str, str, str]]:
    """Each `$ microgrid …` command of a session run for real: (command, shown, printed)."""
    import shlex
    import subprocess
    import sys

    results = []
    for chunk in re.split(r"^\$ ", session, flags=re.M)[1:]:
        lines = chunk.splitlines()
        command = lines.pop(0)
        while command.endswith("\\"):
            command = command[:-1] + " " + lines.pop(0).strip()
        args = shlex.split(command)[1:]
        p = subprocess.run([sys.executable, "-m", "microgrid", *args], capture_output=True,
                           text=True, encoding="utf-8", timeout=300)
        assert p.returncode == 0, (command, p.stderr)
        keep = [line for line in lines if not TIMED.match(line)]
        printed = [line for line in p.stdout.splitlines() if not TIMED.match(line)]
        results.append((command, "\n".join(keep), "\n".join(printed)))
    return results


def run_page(page: str) -> None:
    for kind, code, shown in examples(page):
        if kind == "python":
            printed = run_python(code, page)
            if shown is not None:
                assert printed.rstrip() == shown.rstrip(), (
                    f"{page}: the block starting {code.splitlines()[0]!r} printed\n{printed}\n"
                    f"but the page shows\n{shown}")
        else:
            for command, shown_lines, printed in run_console(code):
                assert printed.rstrip() == shown_lines.rstrip(), (
                    f"{page}: `{command}` printed\n{printed}\nbut the page shows\n{shown_lines}")


def test_there_are_examples_to_run():
    counted = {page: len(examples(page)) for page in PAGES}
    assert counted["README.md"] >= 1 and counted["docs/index.md"] >= 1
    assert sum(counted.values()) >= 15, counted


@pytest.fixture(scope="module")
def files_of(tmp_path_factory):
    """files_of(page): the folder where ``page``'s examples ran (checked, as in the test below)
    and wrote their files; each page runs once however many pages read what it writes."""
    ran: dict[str, Path] = {}

    def run_once(page: str) -> Path:
        if page not in ran:
            folder = tmp_path_factory.mktemp("examples")
            here = os.getcwd()
            os.chdir(folder)
            try:
                run_page(page)
            finally:
                os.chdir(here)
            ran[page] = folder
        return ran[page]

    return run_once


# pages whose examples need torch: collected only where it is installed (tests/conftest.py)
TORCH_PAGES = {"docs/guide/torch.md"}
TORCH = importlib.util.find_spec("torch") is not None


@pytest.mark.parametrize("page", [p for p in PAGES if examples(p)
                                  and (TORCH or p not in TORCH_PAGES)])
def test_the_examples_of_a_page_run_and_print_what_it_shows(page, tmp_path, monkeypatch,
                                                             files_of):
    if page in NEEDS.values():  # its files are read by other pages: run (and checked) once
        files_of(page)
        return
    monkeypatch.chdir(tmp_path)  # the files they write (moons.json, pass.html) go here
    if page in NEEDS:
        shutil.copytree(files_of(NEEDS[page]), tmp_path, dirs_exist_ok=True)
    run_page(page)


def test_readme_is_a_front_page():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 200
    assert "```python" in readme and "](docs/images/" in readme
    for site_page in ("docs/guide/drawing.md", "docs/guide/explorer.md", "docs/guide/compile.md",
                      "docs/guide/training.md"):
        assert f"]({site_page})" in readme, site_page
    assert "./dev.sh docs" in readme


def test_readme_says_what_set_up_costs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    test_line = next(line for line in readme.splitlines() if line.startswith("./dev.sh test"))
    assert re.search(r"\d+(\.\d+)? min measured", test_line) and "1.5 GB" in test_line


def test_readme_layout_names_every_module():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme[readme.index("## Layout"):]
    for f in sorted((ROOT / "microgrid").rglob("*")):
        if f.suffix in (".py", ".js", ".css") and f.name != "__main__.py":
            name = f.relative_to(ROOT / "microgrid")
            shown = f"{name.parent}/" if f.name == "__init__.py" else f.name
            if str(name) != "__init__.py":
                assert shown in layout, f"README's Layout table does not list microgrid/{name}"


def test_readme_command_line_lists_every_command():
    from microgrid.cli.command import build_parser

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    assert set(commands) >= {"demo", "explore", "train", "predict"}
    for name in commands:
        assert re.search(rf"^microgrid {name} ", readme, re.M), name
    assert "microgrid explore [MODEL.json x1 x2 … --y Y] [--predict] [--out FILE.html]" in readme


def test_no_page_cites_what_a_reader_cannot_open():
    # "the chain", "the run": a reader has no issue to open
    for page in PAGES:
        text = (ROOT / page).read_text(encoding="utf-8")
        assert "the issue" not in text.lower(), page


def test_benchmark_numbers_are_included_from_bench_results_not_copied():
    # bench/results.md is what `python -m bench.run --markdown` writes; the site includes it,
    # and no page keeps a hand-copied list of targets (which goes stale: ✓/✗ of an old run)
    bench = (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    assert '--8<-- "bench/results.md"' in bench
    results = (ROOT / "bench" / "results.md").read_text(encoding="utf-8")
    for page in PAGES:
        text = (ROOT / page).read_text(encoding="utf-8")
        copied = [line for line in text.splitlines()
                  if line.startswith("- W") and ("✓" in line or "✗" in line)]
        assert not copied, (page, copied[:2])
    assert "✓" in results  # the targets are still measured, in the generated file

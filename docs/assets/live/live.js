/* The site's live parts, on top of MicrogridRuntime (runtime.js):
 * - every Python example of a page (```python blocks: Get started, the guides, the derivation)
 *   gets a Run button; its output (printed text, a traceback, a drawing, an explorer) appears
 *   under it. The examples of a page share one Python, as in a notebook: Run on an example runs
 *   the page's earlier examples first if they have not run yet.
 * - an example that needs a package the page cannot have (torch, matplotlib) says so instead;
 * - a notebook page gets "Run this notebook in the page": every code cell becomes editable and
 *   runs top to bottom in one Python, each with its own Run to run it again;
 * - the Playground (playground.md): [data-role=code|run|stop|output].
 * From file:// nothing runs (Chromium refuses module workers there): one line says how to serve
 * the site. While Python loads, a progress bar says what it is doing and how far it is.
 */
(function () {
  "use strict";
  const R = window.MicrogridRuntime;
  const NEEDS = [
    [/\btorch\b/, "PyTorch"],
    [/\bimport numpy\b|\bfrom numpy\b/, "numpy"],
    [/matplotlib|microgrid\.plot\b|\bplot_\w+\(|from microgrid(\.plot)? import[^\n]*\bplot/, "matplotlib"],
  ];
  const scope = "page:" + location.pathname;
  // Pages whose examples read a file another page's examples write (moons.json): that page's
  // examples run first, in the same Python (tests/test_docs.py's NEEDS says the same).
  const FIRST = { "guide/saving.html": "training.html", "guide/torch.html": "training.html" };

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function needs(code) {
    for (const [re, name] of NEEDS) if (re.test(code)) return name;
    return null;
  }

  /* An output area: printed text, tracebacks, drawings and explorers, as they come. */
  function output(box) {
    const text = () => {
      let last = box.lastElementChild;
      if (!last || !last.classList.contains("mg-live-text")) last = box.appendChild(el("pre", "mg-live-text"));
      return last;
    };
    return {
      box,
      clear() { box.replaceChildren(); },
      print(t, cls) {
        if (cls) box.appendChild(el("pre", "mg-live-text " + cls, t));
        else text().textContent += t;
      },
      opts: {
        onStdout: (t) => text().textContent += t,
        onStderr: (t) => text().textContent += t,
        onText: (t) => text().textContent += t + "\n",
        onSvg: (svg) => { const d = box.appendChild(el("div", "mg-live-svg")); d.innerHTML = svg; },
        onHtml: (html) => { const d = box.appendChild(el("div", "mg-live-html")); d.innerHTML = html; },
      },
    };
  }

  /* A progress bar shown while Python loads (what it does, how far), gone once it is ready. */
  function loadingInto(box) {
    if (R.state() === "ready" || R.state() === "running") return () => {};
    const line = box.appendChild(el("div", "mg-live-loading"));
    const bar = line.appendChild(el("progress"));
    bar.max = 1;
    const label = line.appendChild(el("span", null, " Loading Python (0 of 5): starting its worker"));
    const show = (p) => {
      bar.value = p.fraction;
      label.textContent = ` Loading Python (${p.step} of ${p.steps}): ${p.text} · ${p.seconds.toFixed(1)} s`;
    };
    R.onProgress(show);
    return () => line.remove();
  }

  async function runInto(code, out, runOpts) {
    const done = loadingInto(out.box);
    const ready = R.ready().then(done, done);
    let printed = false;
    const seen = (f) => (x) => { printed = true; return f && f(x); };
    const o = out.opts;
    const result = await R.run(code, { onStdout: seen(o.onStdout), onStderr: seen(o.onStderr),
                                       onText: seen(o.onText), onSvg: seen(o.onSvg),
                                       onHtml: seen(o.onHtml), ...runOpts,
                                       scope: runOpts.scope || scope });
    await ready.catch(() => 0);
    done();
    if (result.ok && !printed && !runOpts.quiet) out.print("✓ ran (nothing printed)", "mg-live-note");
    if (!result.ok) out.print(result.error, result.restarted ? "mg-live-restart" : "mg-live-error");
    return result;
  }

  function httpHint(before) {
    if (document.querySelector(".mg-live-http")) return;
    const p = el("p", "mg-live-http", R.HTTP_HINT);
    before.parentNode.insertBefore(p, before);
  }

  function buttons(parent, onRun) {
    const bar = parent.appendChild(el("div", "mg-live-bar"));
    const run = bar.appendChild(el("button", "md-button mg-live-run", "▶ Run"));
    const stop = bar.appendChild(el("button", "md-button mg-live-stop", "■ Stop"));
    stop.hidden = true;
    run.addEventListener("click", async () => {
      run.disabled = true;
      stop.hidden = false;
      try { await onRun(); } finally { run.disabled = false; stop.hidden = true; }
    });
    stop.addEventListener("click", () => R.stop());
    return bar;
  }

  /* ---------------------------------------------------------------- examples of the pages */
  async function prerequisite(out) {
    const page = Object.keys(FIRST).find((p) => location.pathname.endsWith("/" + p));
    if (!page || prerequisite.done) return true;
    const url = new URL(FIRST[page], location.href);
    out.print(`(running the examples of ${url.pathname.split("/").pop()} first: this page ` +
              "reads the file they write)\n", "mg-live-note");
    const doc = new DOMParser().parseFromString(await (await fetch(url)).text(), "text/html");
    for (const block of doc.querySelectorAll("article div.language-python.highlight code")) {
      if (needs(block.textContent)) continue;
      const r = await runInto(block.textContent, output(el("div")), { quiet: true, scope: "page:" + url.pathname });
      if (!r.ok) { out.print(r.error, "mg-live-error"); return false; }
    }
    prerequisite.done = true;
    return true;
  }

  function examples() {
    const blocks = [...document.querySelectorAll("article div.language-python.highlight")];
    const runnable = [];
    blocks.forEach((block) => {
      const code = block.querySelector("code").textContent;
      const need = needs(code);
      if (!R.supported()) { if (!need) httpHint(block); return; }
      if (need) {
        block.after(el("p", "mg-live-needs", `This example needs ${need}, which the page's ` +
                       "Python does not have: run it on your machine."));
        return;
      }
      const entry = { code, ran: false };
      runnable.push(entry);
      const box = el("div", "mg-live-output");
      const out = output(box);
      const bar = buttons(document.createElement("div"), async () => {
        out.clear();
        if (!(await prerequisite(out))) return;
        for (const earlier of runnable.slice(0, runnable.indexOf(entry))) {
          if (earlier.ran) continue;
          out.print("(running this page's examples above first)\n", "mg-live-note");
          const r = await runInto(earlier.code, output(el("div")), { quiet: true });
          earlier.ran = r.ok;
          if (!r.ok) { out.print(r.error, "mg-live-error"); return; }
        }
        const r = await runInto(code, out, {});
        entry.ran = r.ok;
        if (r.restarted) { runnable.forEach((e) => { e.ran = false; }); prerequisite.done = false; }
      });
      block.after(bar, box);
    });
    preloadWhenSeen(document.querySelectorAll("article .mg-live-run"));
  }

  // Python takes seconds to start: begin when a Run button comes within a screen of the reader's
  // view (not on pages or parts of pages they never reach), so that pressing it is quick.
  function preloadWhenSeen(buttons) {
    if (!buttons.length || !("IntersectionObserver" in window)) return;
    const seen = new IntersectionObserver((entries) => {
      if (!entries.some((e) => e.isIntersecting)) return;
      seen.disconnect();
      R.ready().catch(() => 0);  // a failure is reported by the Run that needs Python
    }, { rootMargin: "0px 0px 100% 0px" });
    buttons.forEach((b) => seen.observe(b));
  }

  /* ---------------------------------------------------------------- notebooks */
  function notebook() {
    const cells = [...document.querySelectorAll(".jp-Notebook .jp-CodeCell, .jupyter-wrapper .jp-CodeCell")];
    if (!cells.length) return;
    const first = document.querySelector("article .jupyter-wrapper") || cells[0];
    if (!R.supported()) { httpHint(first); return; }
    const missing = new Set(cells.map((c) => needs((c.querySelector(".clipboard-copy-txt") || {})
                                                   .textContent || "")).filter(Boolean));
    if (missing.size) {  // its cells build on each other: a skipped one would break the rest
      first.parentNode.insertBefore(el("p", "mg-live-needs", `This notebook uses ${[...missing]
        .join(" and ")}, which the page's Python does not have (Pyodide's core, as this site ` +
        "serves it, comes without them): run it in Jupyter."), first);
      return;
    }
    const bar = el("div", "mg-live-notebook");
    const all = bar.appendChild(el("button", "md-button md-button--primary mg-live-run-notebook",
                                   "▶ Run this notebook in the page"));
    const stop = bar.appendChild(el("button", "md-button mg-live-stop", "■ Stop"));
    stop.hidden = true;
    stop.addEventListener("click", () => R.stop());
    bar.appendChild(el("span", "mg-live-note", " its cells run top to bottom in one Python; edit a cell and run it again"));
    first.parentNode.insertBefore(bar, first);
    preloadWhenSeen([all]);
    const nbScope = "notebook:" + location.pathname;
    const live = [];
    const seen = new Set();  // nbconvert nests a cell's div in another of the same class
    cells.forEach((cell) => {
      const src = cell.querySelector(".clipboard-copy-txt");
      if (!src || seen.has(src)) return;
      seen.add(src);
      live.push({ cell: src.closest(".jp-CodeCell"), code: src.textContent, editor: null, out: null });
    });

    function makeLive(entry) {
      if (entry.editor) return;
      const view = entry.cell.querySelector(".highlight-ipynb");
      const need = needs(entry.code);
      const box = el("div", "mg-live-output");
      entry.out = output(box);
      if (need) {
        entry.skip = need;
        view.after(el("p", "mg-live-needs", `This cell needs ${need}, which the page's Python ` +
                      "does not have: it is not run here."));
        return;
      }
      const editor = el("textarea", "mg-live-editor");
      editor.wrap = "off";
      editor.value = entry.code;
      editor.spellcheck = false;
      editor.rows = Math.min(30, entry.code.split("\n").length + 1);
      entry.editor = editor;
      view.replaceWith(editor);
      const cellBar = buttons(document.createElement("div"), () => runCell(entry));
      editor.after(cellBar, box);
    }

    async function runCell(entry) {
      if (entry.skip) return { ok: true };
      entry.out.clear();
      let outer = entry.cell;  // nbconvert nests the cell: its output is in the outermost div
      while (outer.parentElement && outer.parentElement.closest(".jp-CodeCell")) {
        outer = outer.parentElement.closest(".jp-CodeCell");
      }
      for (const old of outer.querySelectorAll(".jp-Cell-outputWrapper")) {
        old.style.display = "none";  // the build's output gives way to this run's
      }
      return runInto(entry.editor.value, entry.out, { scope: nbScope });
    }

    all.addEventListener("click", async () => {
      all.disabled = true;
      stop.hidden = false;
      try {
        live.forEach(makeLive);
        for (const entry of live) {
          const r = await runCell(entry);
          if (!r.ok) break;  // as Jupyter's "run all": the cells below need this one
        }
      } finally { all.disabled = false; stop.hidden = true; }
    });
  }

  /* ---------------------------------------------------------------- the Playground */
  function playground() {
    const code = document.querySelector('[data-role="code"]');
    if (!code) return;
    const run = document.querySelector('[data-role="run"]');
    const stop = document.querySelector('[data-role="stop"]');
    const box = document.querySelector('[data-role="output"]');
    if (!R.supported()) {
      run.disabled = true;
      stop.disabled = true;
      box.appendChild(el("p", "mg-live-http", R.HTTP_HINT));
      return;
    }
    const out = output(box);
    stop.disabled = true;
    run.addEventListener("click", async () => {
      run.disabled = true;
      stop.disabled = false;
      out.clear();
      try { await runInto(code.value, out, { scope: "playground" }); }
      finally { run.disabled = false; stop.disabled = true; }
    });
    stop.addEventListener("click", () => R.stop());
    const pick = document.querySelector('[data-role="examples"]');
    if (pick) pick.addEventListener("change", () => {
      const example = document.querySelector(`[data-example="${pick.value}"]`);
      if (example) code.value = example.value;
    });
    code.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey || e.shiftKey)) { e.preventDefault(); run.click(); }
    });
    R.ready().catch(() => 0); // start loading at once: the first Run is then quicker
  }

  function start() {
    if (!R) return;
    examples();
    notebook();
    playground();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

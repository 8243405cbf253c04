// Typeset every formula of the page with KaTeX, served from the site (no CDN): the Markdown
// pages' math (pymdownx.arithmatex writes \( \) and \[ \]) and the notebooks' ($ and $$).
// A formula KaTeX cannot parse is reported with console.error (auto-render's default), which
// the site's browser test treats as a failure.
//
// Then the notation written as plain text where TeX cannot go: the derivation's headings (their
// anchors are what the code and GitHub link to), the table of contents made from them, and the
// API page's docstrings (which read as plain text in help() too). A run such as
// "δ^L = ∇_a C ⊙ σ'(z^L)" or "L(θ) = Σ_n C^n(θ)" is found, written as TeX and typeset;
// identifiers (make_moons, sigma_prime) and prose are left alone. Anything KaTeX refuses stays
// as it was written.
document.addEventListener("DOMContentLoaded", function () {
  renderMathInElement(document.body, {
    delimiters: [
      { left: "$$", right: "$$", display: true },
      { left: "\\[", right: "\\]", display: true },
      { left: "\\(", right: "\\)", display: false },
      { left: "$", right: "$", display: false },
    ],
    ignoredClasses: ["highlight", "highlight-ipynb", "jp-OutputArea-output"],
  });
  document
    .querySelectorAll(
      "article :is(h1, h2, h3, h4, h5, h6), .md-nav, .doc-contents",
    )
    .forEach(mgTypesetNotation);
});

// ---------------------------------------------------------------- plain notation → TeX
const MG_SYMBOLS = {
  "δ": "\\delta ", "σ": "\\sigma ", "Σ": "\\sum ", "∇": "\\nabla ", "∂": "\\partial ",
  "θ": "\\theta ", "η": "\\eta ", "λ": "\\lambda ", "β": "\\beta ", "ε": "\\varepsilon ",
  "α": "\\alpha ", "γ": "\\gamma ", "μ": "\\mu ", "π": "\\pi ",
  "⊙": "\\odot ", "·": "\\cdot ", "×": "\\times ", "−": "-", "ᵀ": "^{\\mathsf{T}}",
  "′": "'", "≤": "\\le ", "≥": "\\ge ", "∈": "\\in ", "…": "\\dots ", "←": "\\leftarrow ",
  "→": "\\to ", "½": "\\tfrac12 ", "²": "^2", "³": "^3", "√": "\\surd ", "±": "\\pm ",
  "{": "\\{", "}": "\\}",  // braces that are not a script's group: a set, {−1, +1}
};
const MG_FUNCTIONS = new Set(["ln", "log", "exp", "max", "min", "tanh", "softplus"]);
// KaTeX has these as commands; softplus is written with \operatorname
const MG_KATEX_FUNCTIONS = new Set(["ln", "log", "exp", "max", "min", "tanh"]);
// what a formula's token may hold (a dot only inside a number, see mgMathy)
const MG_CHARSET = /^[\p{L}\p{N}^_{}()[\],'′ᵀ+\-−=·×⊙/…∇∂Σ√½²³≤≥∈←→|±]+$/u;
// a script: ^ or _ with a {group}, a (group) or up to three letters or digits
const MG_SCRIPT = /[\^_](\{[^{}]*\}|\([^()]*\)|[A-Za-z0-9]{1,3})/g;
const MG_STRONG_SYMBOL = /[δσΣ∇∂θηλβεαγμπ⊙ᵀ′]/u;
// a script on one letter (not the tail of a word: make_moons) or on a bracket
const MG_SCRIPTED = /(^|[^A-Za-z])[A-Za-z\p{Script=Greek})\]}][\^_]/u;
const MG_OPERATOR = /^[=+\-−·×⊙/←→≤≥∈]+$/;

// "strong" (certainly notation), "weak" (a letter, a number, an operator: notation only next
// to a strong token) or null (prose, an identifier, a citation).
function mgMathy(core) {
  const plain = core.replace(/(\d)\.(\d)/g, "$1$2").replace(/\s/g, "");
  if (!core || !MG_CHARSET.test(plain) || /['’]s$/.test(core)) return null;  // σ's range
  const words = core.replace(MG_SCRIPT, " ").match(/[A-Za-z]{2,}/g) || [];
  const derivative = core.includes("∂");
  if (words.some((w) => !MG_FUNCTIONS.has(w)) && !derivative) return null;
  return MG_STRONG_SYMBOL.test(core) || MG_SCRIPTED.test(core) ? "strong" : "weak";
}

function mgTex(s) {
  let out = "";
  for (let i = 0; i < s.length; ) {
    const c = s[i];
    if (c === "^" || c === "_") {
      const rest = s.slice(i + 1);
      let m;
      if ((m = rest.match(/^\{([^{}]*)\}/))) out += c + "{" + mgTex(m[1]) + "}";
      else if ((m = rest.match(/^\(([^()]*)\)/))) out += c + "{" + mgTex(m[1]) + "}";
      else if ((m = rest.match(c === "^" ? /^[A-Za-z0-9]/ : /^[A-Za-z0-9]{1,3}/)))
        out += c + "{" + m[0] + "}";
      else return null;
      i += 1 + m[0].length;
    } else if (/[A-Za-z]/.test(c)) {
      const word = s.slice(i).match(/^[A-Za-z]+/)[0];
      if (word.length === 1) out += word;
      else if (MG_KATEX_FUNCTIONS.has(word)) out += "\\" + word + " ";
      else out += (MG_FUNCTIONS.has(word) ? "\\operatorname{" : "\\mathrm{") + word + "}";
      i += word.length;
    } else {
      out += MG_SYMBOLS[c] !== undefined ? MG_SYMBOLS[c] : c;
      i += 1;
    }
  }
  return out;
}

// Split a text into tokens at spaces outside {braces}: "e^{s_k − m}" is one token.
function mgTokens(text) {
  const parts = [];
  let depth = 0, start = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = text[i];
    if (c === "{") depth++;
    else if (c === "}") depth = Math.max(0, depth - 1);
    if (i === text.length || (depth === 0 && /\s/.test(c))) {
      if (i > start) parts.push({ text: text.slice(start, i), start, end: i });
      start = i + 1;
    }
  }
  return parts;
}

// The [start, end) spans of a text that are notation.
function mgRuns(text) {
  const runs = [];
  let run = [];
  const close = () => {
    while (run.length && (run[0].kind === "weak" && MG_OPERATOR.test(run[0].core))) run.shift();
    while (run.length && MG_OPERATOR.test(run[run.length - 1].core)) run.pop();
    // "a δ^l_j": the article, not a variable (but "a = σ(z)" keeps its a)
    if (run.length > 1 && /^[aA]$/.test(run[0].core) && !MG_OPERATOR.test(run[1].core)) run.shift();
    const last = run[run.length - 1];
    if (run.some((t) => t.kind === "strong"))
      runs.push(mgBalanced(text, run[0].start, last.start + last.core.length));
    run = [];
  };
  for (const tok of mgTokens(text)) {
    // quotes and closing punctuation are text: "a_in × δ_out". ends a run and starts one
    const m = tok.text.match(/^(["“‘]*)(.*?)([,.;:!?"”’]*)$/u);
    const head = m[1], core = m[2], tail = m[3];
    if (head) close();
    if (head && /["”’]/.test(tail)) continue;  // a quoted string: "σ({0})" is a format
    const kind = mgMathy(core);
    if (!kind) { close(); continue; }
    // a comma inside brackets belongs to the formula: max(0, 1 − y_n s_n)
    const open = (run.map((t) => t.core).join(" ") + core).replace(/[^([]/g, "").length
      - (run.map((t) => t.core).join(" ") + core).replace(/[^)\]]/g, "").length;
    const keep = tail === "," && open > 0;
    run.push({ core: keep ? core + tail : core, kind, start: tok.start + head.length });
    if (tail && !keep) close();
  }
  close();
  return runs;
}

// [start, end) without a bracket that opens or closes outside it: "(so … δ = ∂C/∂z);" gives
// "δ = ∂C/∂z", and "∂out/∂parent (" gives "∂out/∂parent".
function mgBalanced(text, start, end) {
  const depth = (s) => s.replace(/[^([]/g, "").length - s.replace(/[^)\]]/g, "").length;
  let changed = true;
  while (changed && end > start) {
    changed = false;
    const s = text.slice(start, end).trimEnd();
    end = start + s.length;
    if (/[([]$/.test(s) || (depth(s) < 0 && /[)\]]$/.test(s))) { end -= 1; changed = true; }
    else if (/^[)\]]/.test(s) || (depth(s) > 0 && /^[([]/.test(s))) { start += 1; changed = true; }
  }
  return [start, end];
}

function mgTypesetNotation(root) {
  const skip = "code, pre, kbd, script, style, textarea, .katex, .headerlink, .arithmatex";
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
    acceptNode: (n) =>
      n.parentElement.closest(skip) ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT,
  });
  const nodes = [];
  while (walker.nextNode()) nodes.push(walker.currentNode);
  for (const node of nodes) {
    const text = node.data;
    const runs = mgRuns(text);
    if (!runs.length) continue;
    const frag = document.createDocumentFragment();
    let at = 0;
    for (const [start, end] of runs) {
      const tex = mgTex(text.slice(start, end));
      let html = null;
      try {
        if (tex !== null) html = katex.renderToString(tex, { throwOnError: true });
      } catch (e) {
        console.warn("notation left as text:", text.slice(start, end), e.message);
      }
      if (html === null) continue;
      frag.append(text.slice(at, start));
      const span = document.createElement("span");
      span.className = "mg-notation";
      span.innerHTML = html;
      frag.append(span);
      at = end;
    }
    frag.append(text.slice(at));
    node.replaceWith(frag);
  }
}

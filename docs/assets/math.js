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
};
const MG_FUNCTIONS = new Set(["ln", "log", "exp", "max", "min", "tanh"]);
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
      else out += MG_FUNCTIONS.has(word) ? "\\" + word + " " : "\\mathrm{" + word + "}";
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
    if (run.some((t) => t.kind === "strong"))
      runs.push([run[0].start, run[run.length - 1].start + run[run.length - 1].core.length]);
    run = [];
  };
  for (const tok of mgTokens(text)) {
    const m = tok.text.match(/^(.*?)([,.;:!?"”’]*)$/u);
    const core = m[1], tail = m[2];
    const kind = mgMathy(core);
    if (!kind) { close(); continue; }
    run.push({ core, kind, start: tok.start });
    if (tail) close();
  }
  close();
  return runs;
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

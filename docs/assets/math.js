// Typeset every formula of the page with KaTeX, served from the site (no CDN): the Markdown
// pages' math (pymdownx.arithmatex writes \( \) and \[ \]) and the notebooks' ($ and $$).
// A formula KaTeX cannot parse is reported with console.error (auto-render's default), which
// the site's browser test treats as a failure.
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
});

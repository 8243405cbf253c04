// microgrid explorer: plays the steps that Python computed (the data in #mg-data, base64 of
// JSON, so that no number of the pass can be read from the page's text).
// It computes no number itself: every text it shows comes from the data.  Nothing of the
// pass is on screen before the step that computes it: a future step's list entry shows its
// title only, a δ, a gradient, a cell or a certificate appears at its step.  In predict mode
// a step that computes a number asks for it first, and shows nothing of it until answered.
(function () {
  "use strict";
  var raw = atob(document.getElementById("mg-data").textContent.trim());
  var bytes = new Uint8Array(raw.length);
  for (var b = 0; b < raw.length; b++) bytes[b] = raw.charCodeAt(b);
  var D = JSON.parse(new TextDecoder("utf-8").decode(bytes));
  var mode = D.mode, steps = D.modes[mode], nodes = D.nodes, last = steps.length - 1;
  var $ = function (id) { return document.getElementById(id); };
  var graphBox = $("graph"), netBox = $("net"), layerBox = $("layer");
  var svg = graphBox.querySelector("svg"), netSvg = netBox.querySelector("svg");
  var all = function (root, sel) {
    return root ? Array.prototype.slice.call(root.querySelectorAll(sel)) : [];
  };

  // the graph's pieces, by node index
  var value = [], op = [], dataText = [], gradText = [];
  all(svg, "g.mg-value").forEach(function (g) {
    var i = +g.getAttribute("data-node");
    value[i] = g;
    dataText[i] = g.querySelector("text.mg-data");
    gradText[i] = g.querySelector("text.mg-grad");
  });
  all(svg, "g.mg-op").forEach(function (g) { op[+g.getAttribute("data-node")] = g; });
  var into = {}, byEnds = {};  // edges by the node they lead into, and by (from, to, op end)
  all(svg, "g.edge[data-from]").forEach(function (e) {
    var f = e.getAttribute("data-from"), t = e.getAttribute("data-to");
    (into[t] = into[t] || []).push(e);
    var key = f + ">" + t + ">" + e.getAttribute("data-op-end");
    (byEnds[key] = byEnds[key] || []).push(e);
  });

  // the network view's pieces: neurons (by z and by a), weights (by w, by a→z), texts
  var netA = {}, netDelta = {}, netNeuron = {}, netW = {}, netLink = {}, netLayer = {};
  all(netSvg, "text.net-a").forEach(function (t) { netA[t.getAttribute("data-node")] = t; });
  all(netSvg, "text.net-delta").forEach(function (t) {
    netDelta[t.getAttribute("data-node")] = t;
  });
  all(netSvg, "g.net-neuron").forEach(function (g) {
    netNeuron[g.getAttribute("data-z")] = g;
    netNeuron[g.getAttribute("data-a")] = g;
  });
  all(netSvg, "line.net-w").forEach(function (l) {
    netW[l.getAttribute("data-node")] = l;
    netLink[l.getAttribute("data-from") + ">" + l.getAttribute("data-to")] = l;
  });
  all(netSvg, "g.net-layer").forEach(function (g) { netLayer[g.getAttribute("data-layer")] = g; });

  // ------------------------------------------------------------------ predict mode
  var predict = !!D.predict, answers = {}, wrongs = {};
  function key(s) { return mode + ":" + s; }
  function pending(s) {  // a step that asks, not yet answered (or shown)
    return predict && !!steps[s].ask && !answers[key(s)];
  }
  function score() {
    var n = 0, k = 0;
    Object.keys(answers).forEach(function (q) {
      n++;
      if (answers[q] === "right" && !wrongs[q]) k++;
    });
    $("score").textContent = predict ? "right first time: " + k + " of " + n : "";
  }
  function parseNumber(text) {
    var t = text.trim().replace(/[−–]/g, "-").replace(/\s/g, "");
    if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(t)) return NaN;
    return parseFloat(t);
  }
  function check() {
    var input = document.querySelector("input[data-predict]");
    if (!input || !pending(current)) return;
    var x = parseNumber(input.value), v = steps[current].ask.v, q = key(current);
    var right = isFinite(x) && (Math.abs(x - v) <= 0.02 * Math.abs(v) ||
                                (Math.abs(v) < 0.05 && Math.abs(x - v) <= 1e-3));
    if (right) {
      answers[q] = "right";
      show(current);
      $("ask").hidden = false;
      $("ask").className = "right";
      $("ask").textContent = "Right.";
      return;
    }
    wrongs[q] = (wrongs[q] || 0) + 1;
    var box = $("ask");
    box.hidden = false;
    box.className = "wrong";
    box.innerHTML = (isFinite(x) ? "Not right (" + input.value.replace(/[<&]/g, "") +
      "). " : "Not a number. ") + "The step with its numbers, the answer blank: " +
      "<div class=\"question\">" + steps[current].ask.q + "</div>" +
      "Try again, or press S to show the answer.";
    input.select();
  }
  function reveal() {
    if (!pending(current)) return;
    answers[key(current)] = "shown";
    show(current);
  }
  function togglePredict() {
    predict = !predict;
    $("predict").setAttribute("aria-pressed", predict ? "true" : "false");
    $("predict").classList.toggle("on", predict);
    show(current);
  }

  // ------------------------------------------------------------------ the step list
  var list = $("steps"), items = list.children, shownUpTo = -1;
  function buildList() {
    list.innerHTML = "";
    steps.forEach(function (s, k) {
      var li = document.createElement("li");
      li.className = s.phase === "forward" ? "fw" : s.phase === "backward" ? "bw" : "";
      li.setAttribute("data-step", k);
      li.addEventListener("click", function () { go(k); });
      list.appendChild(li);
    });
    shownUpTo = -1;
  }

  // ------------------------------------------------------------------ δ's layer by layer
  var layerList = $("layer-list"), deltaRows = [], layerHeads = [];
  if (!D.layers.length) {
    layerList.innerHTML = "No <i>z</i><sup>l</sup><sub>j</sub> nodes: this graph is not an " +
      "MLP's, so it has no δ's.";
  }
  D.layers.forEach(function (layer) {
    var box = document.createElement("div");
    box.className = "layer";
    box.setAttribute("data-layer", layer.layer);
    box.innerHTML = "<h3>layer " + layer.layer + " <small></small></h3>";
    layerHeads.push([box.querySelector("small"), layer]);
    layer.deltas.forEach(function (d) {
      var row = document.createElement("div");
      row.className = "delta";
      row.setAttribute("data-node", d.node);
      row.innerHTML = "<span>" + d.name + "</span><span class=\"bar\"><span></span></span>" +
        "<span class=\"num\"></span>";
      box.appendChild(row);
      deltaRows.push([row, d]);
    });
    layerList.appendChild(box);
  });

  // ------------------------------------------------------------------ certificates
  var pick = $("cert-pick"), certBody = $("cert-body"), picked = null;
  Object.keys(D.certificates).forEach(function (i) {
    var o = document.createElement("option");
    o.value = i;
    o.textContent = nodes[i].plain;
    pick.appendChild(o);
    if (value[i]) {
      value[i].classList.add("mg-leaf-clickable");
      value[i].addEventListener("click", function () { if (!dragged) certify(i); });
    }
    if (netW[i]) netW[i].addEventListener("click", function () { if (!dragged) certify(i); });
  });
  pick.addEventListener("change", function () { if (pick.value) certify(pick.value); });

  function certify(i) {
    if (picked !== null && value[picked]) value[picked].classList.remove("mg-picked");
    picked = i;
    if (value[i]) value[i].classList.add("mg-picked");
    pick.value = i;
    renderCertificate();
  }

  function renderCertificate() {
    if (picked === null) return;
    var c = D.certificates[picked], at = c.steps[mode];
    certBody.setAttribute("data-node", picked);
    if (upto < at) {
      certBody.innerHTML = "<p class=\"wait\">" + c.title + " is computed at step " + at +
        " of the backward pass: its certificate appears there.</p>";
      return;
    }
    var h = "<p>" + c.title + " three ways:</p><table><tr>";
    c.rows.forEach(function (r) { h += "<th>" + r.what + "</th>"; });
    h += "</tr><tr>";
    c.rows.forEach(function (r, k) {
      h += "<td class=\"value\" data-kind=\"" + k + "\">" + r.text + "</td>";
    });
    h += "</tr><tr>";
    c.rows.forEach(function (r) { h += "<td>" + r.formula + "</td>"; });
    h += "</tr></table>";
    if (c.spread !== null) h += "<p>largest difference: <b class=\"spread\">" + c.spread + "</b></p>";
    certBody.innerHTML = h;
  }

  // ------------------------------------------------------------------ the layer view
  var M = D.matrix || null, layerShown = null;
  function layerOf(step) {
    if (!M) return null;
    var l = step.layer;
    if (l === null || l === undefined) return M.L;
    return Math.max(2, Math.min(M.L, l));
  }
  function block(kind, rows, cols, caption) {
    // a vector or matrix: rows × cols cells; numbers inside when there is room for them
    var cells = layerCells[kind], numbers = cols <= 4 && rows <= 16, h = "", biggest = 0;
    var values = /:(aprev|WT)$/.test(kind);  // a's and w's: numbers of the forward pass
    cells.forEach(function (c) {
      if (c.at[mode] <= upto) biggest = Math.max(biggest, Math.abs(c.v));
    });
    cells.forEach(function (c, k) {
      var on = c.at[mode] <= upto, style = "";
      if (on && biggest > 0) {
        var alpha = 0.08 + 0.47 * Math.sqrt(Math.abs(c.v) / biggest);
        style = " style=\"background: " + (c.v < 0 ? "rgba(178,24,43," : "rgba(33,102,172,") +
          alpha.toFixed(2) + ")\"";
      }
      var title = on ? c.t : c.t.split(" = ")[0] + " (not computed yet)";
      var now = on && c.node !== null && nowSet[c.node] && upto === current && !values;
      h += "<button class=\"c" + (on ? "" : " blank") + (now ? " now" : "") +
        "\" data-kind=\"" + kind +
        "\" data-k=\"" + k + "\" title=\"" + title + "\"" + style + ">" +
        (on && numbers ? c.t.split(" = ")[1].replace("-", "−") : "") + "</button>";
    });
    return "<figure class=\"blk\"><div class=\"mat" + (numbers ? " num" : "") +
      "\" style=\"grid-template-columns: repeat(" + cols + ", auto)\">" + h + "</div>" +
      "<figcaption>" + caption + "</figcaption></figure>";
  }
  var layerCells = {};
  function layerHtml(l, current) {  // one layer's BP1–BP4 in matrix form
    var L = M.L, X = M.layers[l], n = M.sizes[l], nb = M.sizes[l - 1];
    var s = "<sup>" + l + "</sup>", s1 = "<sup>" + (l + 1) + "</sup>";
    function cells(kind, arr) { layerCells[l + ":" + kind] = arr; return l + ":" + kind; }
    var h = "<section class=\"lay" + (current ? " current" : "") + "\" data-layer=\"" + l +
      "\"><h3>Layer " + l + (l === L ? " (output)" : "") + "</h3><div class=\"eqn\">";
    if (l === L) {
      h += "<span class=\"op\">BP1:</span>" +
        block(cells("da", X.da), n, 1, "∇<sub>a</sub><i>C</i>") +
        "<span class=\"op\">⊙</span>" +
        block(cells("sp", X.sp), n, 1, "<i>σ</i>′(<i>z</i>" + s + ")") +
        "<span class=\"op\">=</span>" +
        block(cells("delta", X.delta), n, 1, "<i>δ</i>" + s);
    } else {
      var A = M.layers[l + 1], na = M.sizes[l + 1], WT = [];
      for (var j = 0; j < n; j++) for (var k = 0; k < na; k++) WT.push(A.W[k][j]);
      h += "<span class=\"op\">BP2:</span>" +
        block(cells("WT", WT), n, na, "(<i>W</i>" + s1 + ")<sup>T</sup>") +
        block(cells("dnext", A.delta), na, 1, "<i>δ</i>" + s1) +
        "<span class=\"op\">=</span>" +
        block(cells("da", X.da), n, 1, "(<i>W</i>" + s1 + ")<sup>T</sup><i>δ</i>" + s1) +
        "<span class=\"op\">⊙</span>" +
        block(cells("sp", X.sp), n, 1, "<i>σ</i>′(<i>z</i>" + s + ")") +
        "<span class=\"op\">=</span>" +
        block(cells("delta", X.delta), n, 1, "<i>δ</i>" + s);
    }
    return h + "</div><div class=\"eqn\"><span class=\"op\">BP3:</span>" +
      block(cells("b", X.b), n, 1, "∂<i>C</i>/∂<i>b</i>" + s) +
      "<span class=\"op\">= <i>δ</i>" + s + "</span>" +
      "<span class=\"op\">BP4:</span>" +
      block(cells("delta2", X.delta), n, 1, "<i>δ</i>" + s) +
      block(cells("aprev", X.aprev), 1, nb, "(<i>a</i><sup>" + (l - 1) + "</sup>)<sup>T</sup>") +
      "<span class=\"op\">=</span>" +
      block(cells("gW", [].concat.apply([], X.gW)), n, nb, "∂<i>C</i>/∂<i>W</i>" + s) +
      "</div></section>";
  }
  function renderLayer() {  // every layer, the wave's from the output down; its own marked
    if (!M || layerBox.hidden) return;
    var l = layerOf(steps[current]);
    layerCells = {};
    nowSet = {};  // the cells this step computes: outlined
    steps[current].sets.forEach(function (q) { nowSet[q[0]] = true; });
    if (steps[current].kind === "BP1" || steps[current].kind === "BP2") {
      nowSet[steps[current].node] = true;
    }
    var h = "<p class=\"lay-head\">BP1–BP4 layer by layer in matrix form (docs/backprop.md " +
      "§5–§7): a cell fills in at the step that computes it; hover or focus one for its name " +
      "and number, click it for its step.</p><p id=\"cell-info\" aria-live=\"polite\"></p>";
    for (var k = M.L; k >= 2; k--) h += layerHtml(k, k === l);
    layerBox.innerHTML = h;
    if (layerShown !== l || !layerFollowed) {
      layerShown = l;
      layerFollowed = true;
      var sec = layerBox.querySelector("section.lay.current");
      if (sec) layerBox.scrollTop += sec.getBoundingClientRect().top -
        layerBox.getBoundingClientRect().top - 40;
    }
  }
  var layerFollowed = false, nowSet = {};
  layerBox.addEventListener("click", function (e) {
    var c = e.target.closest("button.c");
    if (!c) return;
    var kind = c.getAttribute("data-kind"), cell = layerCells[kind][+c.getAttribute("data-k")];
    var to = /:WT$/.test(kind) ? D.done[mode][cell.node] : cell.at[mode];
    if (to === undefined || to > last) return;
    setView(scalarView);
    go(to);
  });
  function cellInfo(e) {
    var c = e.target.closest && e.target.closest("button.c"), info = $("cell-info");
    if (c && info) info.textContent = c.getAttribute("title");
  }
  layerBox.addEventListener("mouseover", cellInfo);
  layerBox.addEventListener("focusin", cellInfo);

  // ------------------------------------------------------------------ one step
  // Only what differs from what is on screen is written: a graph of hundreds of nodes stays
  // quick to step through (each write to an SVG text costs a layout).
  function setText(el, text) { if (el && el.textContent !== text) el.textContent = text; }
  function setClass(el, cls, on) {
    if (el && el.classList.contains(cls) !== on) el.classList.toggle(cls, on);
  }

  // current: the step on screen; upto: the last step whose numbers are shown (current, or
  // the one before while predict mode waits for the current step's number)
  var current = 0, upto = 0, lit = [];
  function go(s) {  // → / End / a click: never past a step that waits for its number
    s = Math.max(0, Math.min(last, s));
    for (var k = current; k < s; k++) {
      if (pending(k)) {
        s = k;
        if (k === current) {
          var box = $("ask");
          box.hidden = false;
          box.className = "wrong";
          box.textContent = "Your number first (Enter checks it), or S to show the answer.";
          return;
        }
        break;
      }
    }
    show(s);
  }
  function show(s) {
    current = Math.max(0, Math.min(last, s));
    var waiting = pending(current);
    upto = waiting ? current - 1 : current;
    var step = steps[current], backward = upto >= D.firstBackward;
    var grad = nodes.map(function () { return "0"; }), reached = {};
    for (var k = D.firstBackward; k <= upto; k++) {
      steps[k].sets.forEach(function (p) { grad[p[0]] = p[1]; reached[p[0]] = true; });
    }
    var newly = {};
    if (step.phase === "backward" && !waiting) {
      step.sets.forEach(function (p) { newly[p[0]] = true; });
    }
    nodes.forEach(function (n, i) {
      var computed = n.computedAt !== null && n.computedAt <= current;
      setClass(value[i], "mg-pending", !computed);
      setClass(op[i], "mg-pending", !computed);
      setText(dataText[i], computed ? n.data : "?");
      setText(netA[i], computed ? n.data : "");
      var t = gradText[i];
      if (t) {
        setText(t, t.getAttribute("data-prefix") + grad[i]);
        setClass(t, "mg-hidden", !backward && current < D.firstBackward);
        setClass(t, "mg-zero", grad[i] === "0" && current !== last);
        setClass(t, "mg-new", !!newly[i] && current !== last);
      }
      setText(netDelta[i], reached[i] ? "δ = " + grad[i] : "");
      setClass(netDelta[i], "neg", grad[i].charAt(0) === "−");  // colour for the sign
      var w = netW[i];
      if (w) {
        var on = !!reached[i] && !!n.look;
        setClass(w, "pos", on && n.look[0] === "pos");
        setClass(w, "neg", on && n.look[0] === "neg");
        w.style.strokeWidth = on ? n.look[1] : "";
        w.querySelector("title").textContent = n.plain +
          (reached[i] ? ": ∂C/∂" + n.plain + " = " + grad[i] : "");
      }
    });
    // the highlight of the previous step off, this step's on
    lit.forEach(function (x) { x[0].classList.remove(x[1]); });
    lit = [];
    function light(el, cls) { if (el) { el.classList.add(cls); lit.push([el, cls]); } }
    if (step.phase === "forward") {
      light(value[step.node], "mg-current");
      light(op[step.node], "mg-current");
      light(netNeuron[step.node], "mg-current");
      (into[step.node] || []).forEach(function (e) { light(e, "mg-in"); });
    } else if (step.phase === "backward") {
      step.edges.forEach(function (e) {  // [parent, value]: ∂C goes from value to parent
        light(value[e[1]], "mg-source");
        (byEnds[e[0] + ">" + e[1] + ">head"] || []).concat(
          byEnds[e[1] + ">" + e[1] + ">tail"] || []).forEach(function (g) {
          light(g, "mg-back");
        });
        light(netLink[e[0] + ">" + e[1]], "mg-back");
      });
      step.sets.forEach(function (p) {
        light(value[p[0]], "mg-target");
        light(netNeuron[p[0]], "mg-target");
        light(netW[p[0]], "mg-back");
      });
      if (!step.sets.length) light(value[step.node], "mg-source");
    }
    if (step.layer !== null && step.layer !== undefined) light(netLayer[step.layer], "mg-lit");
    deltaRows.forEach(function (r) {
      var on = upto >= r[1].steps[mode];
      setClass(r[0], "pending", !on);
      setText(r[0].querySelector(".num"), on ? r[1].text : "");
      var bar = r[0].querySelector(".bar span");
      bar.style.width = on ? r[1].width.toFixed(1) + "%" : "0";
      setClass(bar, "neg", on && r[1].value < 0);
    });
    layerHeads.forEach(function (h) {
      setText(h[0], upto >= h[1].steps[mode] ? "max |δ| " + h[1].max : "");
    });
    // the list: reached steps in full (a long step by its short form), later ones by title
    function entry(k) { return steps[k].brief || steps[k].html; }
    for (var k2 = shownUpTo + 1; k2 <= upto; k2++) items[k2].innerHTML = entry(k2);
    for (var k3 = Math.max(upto + 1, 0); k3 <= shownUpTo; k3++) {
      items[k3].innerHTML = steps[k3].title;
    }
    if (shownUpTo < 0) {
      for (var k4 = upto + 1; k4 <= last; k4++) items[k4].innerHTML = steps[k4].title;
    }
    shownUpTo = upto;
    for (var k5 = 0; k5 <= last; k5++) {
      setClass(items[k5], "current", k5 === current);
      setClass(items[k5], "future", k5 > upto);
    }
    var ask = $("ask");
    if (waiting) {
      $("now-html").innerHTML = "Your turn: " + step.ask.name + " = <input data-predict " +
        "inputmode=\"decimal\" autocomplete=\"off\" size=\"10\" aria-label=\"your number\"> " +
        "<button id=\"check\" title=\"check your number (Enter)\">check</button> " +
        "<button id=\"reveal\" title=\"show the answer (S)\">show</button>";
      $("now-eq").innerHTML = "";
      if (!wrongs[key(current)]) ask.hidden = true;
      var input = document.querySelector("input[data-predict]");
      input.addEventListener("keydown", function (e) {
        if (e.key === "Enter") { e.preventDefault(); check(); }
        if (e.key === "s" || e.key === "S") { e.preventDefault(); reveal(); }
        if (e.key === "Escape") input.blur();  // the page's keys again
        // an empty box lets ← and Home go back; otherwise the keys edit the number
        if (!input.value && (e.key === "ArrowLeft" || e.key === "Home")) {
          e.preventDefault();
          show(e.key === "Home" ? 0 : current - 1);
        }
        e.stopPropagation();
      });
      $("check").addEventListener("click", check);
      $("reveal").addEventListener("click", reveal);
      input.focus({ preventScroll: true });
    } else {
      $("now-html").innerHTML = step.html;
      $("now-eq").innerHTML = step.eq || "";
      ask.hidden = true;
    }
    $("now-note").innerHTML = step.note || "";
    $("counter").textContent = current + " / " + last;
    var phase = $("phase");
    phase.className = step.phase;
    phase.textContent = step.phase === "start" ? "start" :
      step.phase === "forward" ? "forward pass" :
      mode === "wave" ? "backward: the δ wave" : "backward: edge by edge";
    score();
    layout();  // the header may have wrapped differently (its texts changed)
    renderCertificate();
    renderLayer();
    // Scrolling measures the layout: once per frame, not once per key (keys may repeat fast).
    if (!scrollPending) {
      scrollPending = true;
      requestAnimationFrame(follow);
    }
    document.body.setAttribute("data-step", current);
    document.body.setAttribute("data-mode", mode);
    document.body.setAttribute("data-view", view);
    document.body.setAttribute("data-predict", predict ? "on" : "off");
  }
  var scrollPending = false;

  // ------------------------------------------------------------------ pan and zoom
  // Each picture has a scale; at or above its readable scale (every text ≥ 11 px on screen,
  // sub- and superscripts ≥ 9 px) it shows its texts and follows the steps; below it (zoomed
  // out, or fitted to show everything) it shows its shapes only: no text is ever drawn too
  // small to read.
  function Pan(box, el, w, h) {
    this.box = box; this.el = el; this.w = w; this.h = h;
    this.scale = 1; this.readable = 1; this.overview = false;
  }
  Pan.prototype.measure = function () {
    var need = 0.2;
    all(this.el, "text").forEach(function (t) {
      var fs = parseFloat(getComputedStyle(t).fontSize);
      if (fs > 0) need = Math.max(need, (t.classList.contains("mg-script") ? 9 : 11) / fs);
    });
    this.readable = need * 1.01;
  };
  Pan.prototype.fitScale = function () {
    return Math.min((this.box.clientWidth - 4) / this.w, (this.box.clientHeight - 4) / this.h);
  };
  Pan.prototype.set = function (scale, cx, cy) {
    var box = this.box, old = this.scale;
    scale = Math.max(Math.min(this.fitScale(), this.readable) * 0.8, Math.min(4, scale));
    if (cx === undefined) { cx = box.clientWidth / 2; cy = box.clientHeight / 2; }
    var px = (box.scrollLeft + cx) / old, py = (box.scrollTop + cy) / old;
    this.scale = scale;
    this.el.style.width = this.w * scale + "px";
    this.el.style.height = this.h * scale + "px";
    box.classList.toggle("shapes", scale < this.readable - 1e-9);
    box.scrollLeft = px * scale - cx;
    box.scrollTop = py * scale - cy;
    minimap();
  };
  Pan.prototype.open = function () {  // whole when it fits readably, else readable, following
    var f = this.fitScale();
    this.overview = false;
    this.set(f >= this.readable ? Math.min(f, 1.5) : this.readable);
  };
  var pans = {};
  if (svg) pans.graph = new Pan(graphBox, svg, D.width, D.height);
  if (netSvg) pans.net = new Pan(netBox, netSvg, netSvg.viewBox.baseVal.width,
                                 netSvg.viewBox.baseVal.height);
  function pan() { return pans[view] || null; }
  function zoomBy(f, cx, cy) {
    var p = pan();
    if (p) { p.overview = false; p.set(p.scale * f, cx, cy); }
  }
  function fitToggle() {  // F: everything in sight (shapes only if need be), or back
    var p = pan();
    if (!p) return;
    if (p.overview) { p.open(); follow(); } else {
      p.overview = true;
      p.set(p.fitScale());
      p.box.scrollLeft = 0; p.box.scrollTop = 0;
    }
    $("fit").textContent = p.overview ? "read" : "fit";
  }
  var dragged = false;
  Object.keys(pans).forEach(function (name) {
    var p = pans[name], box = p.box, start = null;
    box.addEventListener("wheel", function (e) {
      e.preventDefault();
      var r = box.getBoundingClientRect();
      zoomBy(Math.exp(-e.deltaY * 0.0015), e.clientX - r.left, e.clientY - r.top);
    }, { passive: false });
    box.addEventListener("pointerdown", function (e) {
      start = [e.clientX, e.clientY, box.scrollLeft, box.scrollTop];
      dragged = false;
    });
    box.addEventListener("pointermove", function (e) {
      if (!start || !(e.buttons & 1)) { start = null; return; }
      var dx = e.clientX - start[0], dy = e.clientY - start[1];
      if (Math.abs(dx) + Math.abs(dy) > 4) dragged = true;
      if (dragged) {
        box.scrollLeft = start[2] - dx;
        box.scrollTop = start[3] - dy;
      }
    });
    box.addEventListener("pointerup", function () {
      start = null;
      setTimeout(function () { dragged = false; }, 0);
    });
    box.addEventListener("scroll", minimap);
  });

  // the mini-map: the picture's shapes (no text), and a frame where the view is
  var mini = $("minimap"), miniView = $("mini-view"), miniOf = null, miniSvg = null;
  function minimap() {
    var p = pan();
    if (!p || p.box.hidden || (p.box.scrollWidth <= p.box.clientWidth + 2 &&
                               p.box.scrollHeight <= p.box.clientHeight + 2)) {
      mini.hidden = true;
      return;
    }
    if (miniOf !== p) {
      if (miniSvg) mini.removeChild(miniSvg);
      miniSvg = p.el.cloneNode(true);
      all(miniSvg, "text, title").forEach(function (t) { t.parentNode.removeChild(t); });
      all(miniSvg, "[id]").forEach(function (t) { t.removeAttribute("id"); });
      miniSvg.removeAttribute("style");
      mini.insertBefore(miniSvg, miniView);
      miniOf = p;
    }
    var mw = Math.min(150, 150 * p.w / p.h), mh = mw * p.h / p.w;
    if (mh > 110) { mh = 110; mw = mh * p.w / p.h; }
    mw = Math.max(mw, 24); mh = Math.max(mh, 24);
    miniSvg.style.width = mw + "px";
    miniSvg.style.height = mh + "px";
    mini.style.width = mw + 2 + "px";
    mini.style.height = mh + 2 + "px";
    var k = mw / (p.w * p.scale);
    miniView.style.left = p.box.scrollLeft * k + "px";
    miniView.style.top = p.box.scrollTop * k + "px";
    miniView.style.width = Math.min(mw, p.box.clientWidth * k) + "px";
    miniView.style.height = Math.min(mh, p.box.clientHeight * k) + "px";
    mini.hidden = false;
  }
  mini.addEventListener("click", function (e) {  // a click on the map moves the view there
    var p = pan();
    if (!p) return;
    var r = mini.getBoundingClientRect(), k = (p.w * p.scale) / (r.width - 2);
    p.box.scrollLeft = (e.clientX - r.left) * k - p.box.clientWidth / 2;
    p.box.scrollTop = (e.clientY - r.top) * k - p.box.clientHeight / 2;
  });

  function follow() {  // the step list, the step panel and the picture follow the step
    scrollPending = false;
    var step = steps[current];
    scrollInto(list, items[current]);
    var p = pan();
    if (!p || p.scale < p.readable - 1e-9) return;
    // the values the step reads and writes, or, when they do not fit the panel together,
    // the one it is about (a BP3/BP4 step of 32 weights: its neuron)
    var pieces = view === "graph" ? value : netNeuron, at, main;
    if (step.phase === "start") {
      main = [pieces[steps[Math.min(1, last)].node]];
      at = main;
    } else if (step.phase === "forward") {
      main = [pieces[step.node], view === "graph" ? op[step.node] : null];
      at = main;
    } else {
      main = [pieces[step.node]];
      at = step.sets.map(function (q) { return pieces[q[0]]; }).concat(main);
    }
    if (!fits(p.box, at)) at = main;
    bring(p.box, at);
    minimap();
  }

  function scrollInto(box, el) {  // scroll the box only, never the page
    if (!el) return;
    var b = box.getBoundingClientRect(), r = el.getBoundingClientRect();
    if (r.top < b.top) box.scrollTop += r.top - b.top - 4;
    else if (r.bottom > b.bottom) {  // its bottom in sight, but never its top out of sight
      box.scrollTop += Math.min(r.bottom - b.bottom + 4, r.top - b.top - 4);
    }
  }

  function union(els) {
    var r = null;
    els.forEach(function (el) {
      if (!el) return;
      var e = el.getBoundingClientRect();
      r = r === null ? { top: e.top, bottom: e.bottom, left: e.left, right: e.right } : {
        top: Math.min(r.top, e.top), bottom: Math.max(r.bottom, e.bottom),
        left: Math.min(r.left, e.left), right: Math.max(r.right, e.right) };
    });
    return r;
  }
  function fits(box, els) {
    var r = union(els);
    return r !== null && r.right - r.left <= box.clientWidth && r.bottom - r.top <= box.clientHeight;
  }

  function bring(box, els) {  // the middle of els to the middle of the box, unless in sight
    var r = union(els);
    if (r === null) return;
    var b = box.getBoundingClientRect();
    if (r.left >= b.left && r.right <= b.right && r.top >= b.top && r.bottom <= b.bottom) return;
    box.scrollTop += (r.top + r.bottom) / 2 - (b.top + b.bottom) / 2;
    box.scrollLeft += (r.left + r.right) / 2 - (b.left + b.right) / 2;
  }

  // ------------------------------------------------------------------ views and modes
  var view = "graph", scalarView = "graph";
  function setView(v) {
    if ((v === "net" || v === "layer") && !netSvg) return;
    view = v;
    if (v !== "layer") scalarView = v;
    graphBox.hidden = v !== "graph";
    netBox.hidden = v !== "net";
    layerBox.hidden = v !== "layer";
    layerFollowed = false;
    all(document, "#views button").forEach(function (btn) {
      var on = btn.getAttribute("data-view") === v;
      btn.classList.toggle("on", on);
      btn.setAttribute("aria-pressed", on ? "true" : "false");
    });
    ["zoom-in", "zoom-out", "fit"].forEach(function (id) { $(id).disabled = v === "layer"; });
    layout();
    minimap();
    var p = pan();
    if (p && !p.opened) {
      if (!p.measured) { p.measure(); p.measured = true; }
      p.open();
      p.opened = true;
    }
    show(current);
  }

  function placeIn(newMode, s) {  // the step of newMode that gives the same quantity
    var newLast = D.modes[newMode].length - 1;
    if (s === last) return newLast;
    if (s < D.firstBackward) return s;
    var st = steps[s], at = D.done[newMode], best = -1;
    var which = st.sets.length ? st.sets.map(function (q) { return q[0]; }) : [st.node];
    which.forEach(function (n) {
      if (at[n] !== undefined) best = Math.max(best, at[n]);
    });
    return best >= 0 ? Math.min(best, newLast) : D.firstBackward;
  }
  function switchMode() {
    var newMode = mode === "wave" ? "edges" : "wave", to = placeIn(newMode, current);
    mode = newMode;
    steps = D.modes[mode];
    last = steps.length - 1;
    buildList();
    $("mode").textContent = mode === "wave" ? "edge by edge" : "δ wave";
    show(to);
  }

  var headHeight = -1;
  function layout() {  // the panels fill the window under the header
    var h = document.querySelector("header").offsetHeight;
    if (h !== headHeight) {
      headHeight = h;
      document.documentElement.style.setProperty("--head", h + "px");
    }
  }

  $("home").addEventListener("click", function () { show(0); });
  $("prev").addEventListener("click", function () { show(current - 1); });
  $("next").addEventListener("click", function () { go(current + 1); });
  $("end").addEventListener("click", function () { go(last); });
  $("zoom-in").addEventListener("click", function () { zoomBy(1.25); });
  $("zoom-out").addEventListener("click", function () { zoomBy(0.8); });
  $("fit").addEventListener("click", fitToggle);
  $("predict").addEventListener("click", togglePredict);
  if ($("mode")) $("mode").addEventListener("click", switchMode);
  all(document, "#views button").forEach(function (btn) {
    btn.addEventListener("click", function () { setView(btn.getAttribute("data-view")); });
  });
  document.addEventListener("keydown", function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.target && e.target.tagName === "INPUT") return;
    var to = { ArrowRight: current + 1, End: last }[e.key];
    var back = { ArrowLeft: current - 1, Home: 0 }[e.key];
    var act = {
      g: function () { setView("graph"); }, n: function () { setView("net"); },
      l: function () { setView("layer"); }, p: togglePredict, s: reveal,
      f: fitToggle, "+": function () { zoomBy(1.25); }, "=": function () { zoomBy(1.25); },
      "-": function () { zoomBy(0.8); }, "−": function () { zoomBy(0.8); },
    }[e.key.length === 1 ? e.key.toLowerCase() : e.key];
    if (to !== undefined) go(to);
    else if (back !== undefined) show(back);
    else if (act) act();
    else return;
    e.preventDefault();
  });
  window.addEventListener("resize", function () {
    layout();
    var p = pan();
    if (p) p.set(p.scale);
  });
  if (predict) {
    $("predict").setAttribute("aria-pressed", "true");
    $("predict").classList.add("on");
  }
  buildList();
  layout();
  // A graph too big to read whole opens in the network view, which reads at a glance.
  var startView = "graph";
  if (pans.graph && pans.net) {
    pans.graph.measure();
    pans.graph.measured = true;
    if (pans.graph.fitScale() < pans.graph.readable * 0.25) startView = "net";
  }
  setView(startView);
  show(0);
}());

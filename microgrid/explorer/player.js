// microgrid explorer: plays the steps that Python computed (the JSON in #mg-data).
// It computes no number itself: every text it shows comes from the JSON.  Nothing of the
// pass is on screen before the step that computes it: a future step's list entry shows its
// title only, a δ, a gradient or a certificate appears at its step.
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("mg-data").textContent);
  var mode = D.mode, steps = D.modes[mode], nodes = D.nodes, last = steps.length - 1;
  var graphBox = document.getElementById("graph"), netBox = document.getElementById("net");
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

  // the step list: a step's text once it is reached, only its title before
  var list = document.getElementById("steps"), items = list.children;
  function buildList() {
    list.innerHTML = "";
    steps.forEach(function (s, k) {
      var li = document.createElement("li");
      li.className = s.phase === "forward" ? "fw" : s.phase === "backward" ? "bw" : "";
      li.setAttribute("data-step", k);
      li.addEventListener("click", function () { show(k); });
      list.appendChild(li);
    });
    shownUpTo = -1;
  }
  var shownUpTo = -1;  // items 0 … shownUpTo hold their full text

  // the layer view: every δ's row, empty until its step
  var layerList = document.getElementById("layer-list"), deltaRows = [], layerHeads = [];
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
      row.innerHTML = "<span>" + d.name + "</span><span class=\"bar\"><span" +
        (d.value < 0 ? " class=\"neg\"" : "") + "></span></span><span class=\"num\"></span>";
      box.appendChild(row);
      deltaRows.push([row, d]);
    });
    layerList.appendChild(box);
  });

  // certificates: click a leaf in the graph, or pick it from the list; shown from its step on
  var pick = document.getElementById("cert-pick"), certBody = document.getElementById("cert-body");
  var picked = null;
  Object.keys(D.certificates).forEach(function (i) {
    var o = document.createElement("option");
    o.value = i;
    o.textContent = nodes[i].plain;
    pick.appendChild(o);
    if (value[i]) {
      value[i].classList.add("mg-leaf-clickable");
      value[i].addEventListener("click", function () { certify(i); });
    }
    if (netW[i]) netW[i].addEventListener("click", function () { certify(i); });
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
    if (current < at) {
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

  // Only what differs from what is on screen is written: a graph of hundreds of nodes stays
  // quick to step through (each write to an SVG text costs a layout).
  function setText(el, text) { if (el && el.textContent !== text) el.textContent = text; }
  function setClass(el, cls, on) {
    if (el && el.classList.contains(cls) !== on) el.classList.toggle(cls, on);
  }

  // one step: every node's state is what the steps up to s made it
  var current = 0, full = false, lit = [];
  function show(s) {
    current = Math.max(0, Math.min(last, s));
    var step = steps[current], backward = current >= D.firstBackward;
    var grad = nodes.map(function () { return "0"; }), reached = {};
    for (var k = D.firstBackward; k <= current; k++) {
      steps[k].sets.forEach(function (p) { grad[p[0]] = p[1]; reached[p[0]] = true; });
    }
    var newly = {};
    if (step.phase === "backward") step.sets.forEach(function (p) { newly[p[0]] = true; });
    nodes.forEach(function (n, i) {
      var computed = n.computedAt !== null && n.computedAt <= current;
      setClass(value[i], "mg-pending", !computed);
      setClass(op[i], "mg-pending", !computed);
      setText(dataText[i], computed ? n.data : "?");
      setText(netA[i], computed ? n.data : "");
      var t = gradText[i];
      if (t) {
        setText(t, t.getAttribute("data-prefix") + grad[i]);
        setClass(t, "mg-hidden", !backward);
        setClass(t, "mg-zero", backward && grad[i] === "0" && current !== last);
        setClass(t, "mg-new", !!newly[i] && current !== last);
      }
      setText(netDelta[i], reached[i] ? "δ = " + grad[i] : "");
      setClass(netDelta[i], "neg", grad[i].charAt(0) === "−");  // colour for the sign
      var w = netW[i];
      if (w) {
        var on = !!reached[i];
        setClass(w, "pos", on && w.getAttribute("data-sign") === "pos");
        setClass(w, "neg", on && w.getAttribute("data-sign") === "neg");
        w.style.strokeWidth = on ? w.getAttribute("data-width") : "";
        w.querySelector("title").textContent = nodes[i].plain +
          (on ? ": ∂C/∂" + nodes[i].plain + " = " + grad[i] : "");
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
      var on = current >= r[1].steps[mode];
      setClass(r[0], "pending", !on);
      setText(r[0].querySelector(".num"), on ? r[1].text : "");
      r[0].querySelector(".bar span").style.width = on ? r[1].width.toFixed(1) + "%" : "0";
    });
    layerHeads.forEach(function (h) {
      setText(h[0], current >= h[1].steps[mode] ? "max |δ| " + h[1].max : "");
    });
    for (var k2 = shownUpTo + 1; k2 <= current; k2++) items[k2].innerHTML = steps[k2].html;
    for (var k3 = Math.max(current + 1, 0); k3 <= shownUpTo; k3++) {
      items[k3].innerHTML = steps[k3].title;
    }
    if (shownUpTo < 0) {
      for (var k4 = current + 1; k4 <= last; k4++) items[k4].innerHTML = steps[k4].title;
    }
    shownUpTo = current;
    for (var k5 = 0; k5 <= last; k5++) {
      setClass(items[k5], "current", k5 === current);
      setClass(items[k5], "future", k5 > current);
    }
    document.getElementById("now-html").innerHTML = step.html;
    document.getElementById("now-eq").innerHTML = step.eq || "";
    document.getElementById("now-note").innerHTML = step.note || "";
    document.getElementById("counter").textContent = current + " / " + last;
    var phase = document.getElementById("phase");
    phase.className = step.phase;
    phase.textContent = step.phase === "start" ? "start" :
      step.phase === "forward" ? "forward pass" :
      mode === "wave" ? "backward pass: the δ wave" : "backward pass: edge by edge";
    renderCertificate();
    // Scrolling measures the layout: once per frame, not once per key (keys may repeat fast).
    if (!scrollPending) {
      scrollPending = true;
      requestAnimationFrame(follow);
    }
    document.body.setAttribute("data-step", current);
    document.body.setAttribute("data-mode", mode);
  }
  var scrollPending = false;

  function follow() {  // the step list and, at full size, the graph follow the current step
    scrollPending = false;
    var step = steps[current];
    scrollInto(list, items[current]);
    if (full) {  // the node the step computes, or the values it gives a gradient
      var at = step.phase === "start" ? [value[steps[Math.min(1, last)].node]] :
        step.phase === "forward" ? [value[step.node], op[step.node]] :
        step.sets.map(function (p) { return value[p[0]]; }).concat([value[step.node]]);
      centre(graphBox, at);
    }
  }

  function scrollInto(box, el) {  // scroll the box only, never the page
    if (!el) return;
    var b = box.getBoundingClientRect(), r = el.getBoundingClientRect();
    if (r.top < b.top) box.scrollTop += r.top - b.top - 4;
    else if (r.bottom > b.bottom) box.scrollTop += r.bottom - b.bottom + 4;
  }

  function centre(box, els) {  // put the middle of els in the middle of the box (the graph)
    var r = null;
    els.forEach(function (el) {
      if (!el) return;
      var e = el.getBoundingClientRect();
      r = r === null ? { top: e.top, bottom: e.bottom, left: e.left, right: e.right } : {
        top: Math.min(r.top, e.top), bottom: Math.max(r.bottom, e.bottom),
        left: Math.min(r.left, e.left), right: Math.max(r.right, e.right) };
    });
    if (r === null) return;
    var b = box.getBoundingClientRect();
    box.scrollTop += (r.top + r.bottom) / 2 - (b.top + b.bottom) / 2;
    box.scrollLeft += (r.left + r.right) / 2 - (b.left + b.right) / 2;
  }

  // Fit: the whole picture inside its panel, both ways (the smaller of the two scales), and
  // back to the top left; a small graph is not blown up past 1.5 times its natural size.
  function fit() {
    var head = document.querySelector("header").offsetHeight;
    document.documentElement.style.setProperty("--head", head + "px");
    [[svg, graphBox, D.width, D.height], [netSvg, netBox, 0, 0]].forEach(function (p) {
      var el = p[0], box = p[1];
      if (!el || box.hidden) return;
      var vb = el.viewBox.baseVal, w = p[2] || vb.width, h = p[3] || vb.height;
      var scale = full && el === svg ? 1 :
        Math.min((box.clientWidth - 2) / w, (box.clientHeight - 2) / h, el === svg ? 1.5 : 2);
      el.style.width = w * scale + "px";
      el.style.height = h * scale + "px";
      if (!full || el !== svg) { box.scrollTop = 0; box.scrollLeft = 0; }
    });
  }

  function zoom() {
    full = !full;
    graphBox.classList.toggle("full", full);
    document.getElementById("zoom").textContent = full ? "fit" : "1:1";
    fit();
    show(current);
  }

  function switchMode() {  // the same place in the forward pass; the backward one restarts
    mode = mode === "wave" ? "edges" : "wave";
    steps = D.modes[mode];
    last = steps.length - 1;
    buildList();
    document.getElementById("mode").textContent = mode === "wave" ? "edge by edge" : "δ wave";
    show(Math.min(current, D.firstBackward));
  }

  function switchView() {
    var toNet = netBox.hidden;
    netBox.hidden = !toNet;
    graphBox.hidden = toNet;
    document.getElementById("view").textContent = toNet ? "graph view" : "network view";
    document.getElementById("zoom").disabled = toNet;
    fit();
    show(current);
  }

  document.getElementById("home").addEventListener("click", function () { show(0); });
  document.getElementById("prev").addEventListener("click", function () { show(current - 1); });
  document.getElementById("next").addEventListener("click", function () { show(current + 1); });
  document.getElementById("end").addEventListener("click", function () { show(last); });
  document.getElementById("zoom").addEventListener("click", zoom);
  if (document.getElementById("mode")) {
    document.getElementById("mode").addEventListener("click", switchMode);
  }
  if (document.getElementById("view")) {
    document.getElementById("view").addEventListener("click", switchView);
  }
  document.addEventListener("keydown", function (e) {
    var to = { ArrowRight: current + 1, ArrowLeft: current - 1, Home: 0, End: last }[e.key];
    if (to === undefined || e.altKey || e.ctrlKey || e.metaKey) return;
    e.preventDefault();
    show(to);
  });
  window.addEventListener("resize", fit);
  buildList();
  fit();
  // A graph that fitted would be too small to read anything (a 2-16-16-1 network's, hundreds
  // of values) opens in the network view, or, without one, at full size following the steps.
  if (svg && svg.getBoundingClientRect().width < 0.15 * D.width) {
    if (document.getElementById("view")) switchView(); else zoom();
  }
  show(0);
}());

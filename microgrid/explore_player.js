// microgrid explorer: plays the steps that Python computed (the JSON in #mg-data).
// It computes no number itself: every text it shows comes from the JSON.
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("mg-data").textContent);
  var steps = D.steps, nodes = D.nodes, last = steps.length - 1;
  var svg = document.querySelector("#graph svg");
  var q = function (sel) { return Array.prototype.slice.call(svg.querySelectorAll(sel)); };

  // the graph's pieces, by node index
  var value = [], op = [], dataText = [], gradText = [];
  q("g.mg-value").forEach(function (g) {
    var i = +g.getAttribute("data-node");
    value[i] = g;
    dataText[i] = g.querySelector("text.mg-data");
    gradText[i] = g.querySelector("text.mg-grad");
  });
  q("g.mg-op").forEach(function (g) { op[+g.getAttribute("data-node")] = g; });
  var edges = q("g.edge[data-from]");

  // the step list
  var list = document.getElementById("steps");
  steps.forEach(function (s, k) {
    var li = document.createElement("li");
    li.className = s.phase === "forward" ? "fw" : s.phase === "backward" ? "bw" : "";
    li.innerHTML = s.html;
    li.setAttribute("data-step", k);
    li.addEventListener("click", function () { show(k); });
    list.appendChild(li);
  });
  var items = list.children;

  // the layer view
  var layerList = document.getElementById("layer-list"), deltaRows = [];
  if (!D.layers.length) {
    layerList.innerHTML = "No <i>z</i><sup>l</sup><sub>j</sub> nodes: this graph is not an " +
      "MLP's, so it has no δ's.";
  }
  D.layers.forEach(function (layer) {
    var box = document.createElement("div");
    box.className = "layer";
    box.setAttribute("data-layer", layer.layer);
    box.innerHTML = "<h3>layer " + layer.layer + " <small>max |δ| " + layer.max + "</small></h3>";
    layer.deltas.forEach(function (d) {
      var row = document.createElement("div");
      row.className = "delta";
      row.setAttribute("data-node", d.node);
      row.innerHTML = "<span>" + d.name + "</span><span class=\"bar\"><span" +
        (d.value < 0 ? " class=\"neg\"" : "") + " style=\"width:" + d.width.toFixed(1) +
        "%\"></span></span><span class=\"num\">" + d.text + "</span>";
      box.appendChild(row);
      deltaRows.push([row, d.step]);
    });
    layerList.appendChild(box);
  });

  // certificates: click a leaf in the graph, or pick it from the list
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
  });
  pick.addEventListener("change", function () { if (pick.value) certify(pick.value); });

  function certify(i) {
    var c = D.certificates[i];
    if (picked !== null && value[picked]) value[picked].classList.remove("mg-picked");
    picked = i;
    if (value[i]) value[i].classList.add("mg-picked");
    pick.value = i;
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
    certBody.setAttribute("data-node", i);
  }

  // edges by the node they lead into (forward) and by (from, to, which end is the op)
  var into = {}, byEnds = {};
  edges.forEach(function (e) {
    var f = e.getAttribute("data-from"), t = e.getAttribute("data-to");
    (into[t] = into[t] || []).push(e);
    var key = f + ">" + t + ">" + e.getAttribute("data-op-end");
    (byEnds[key] = byEnds[key] || []).push(e);
  });

  // Only what differs from what is on screen is written: a graph of hundreds of nodes stays
  // quick to step through (each write to an SVG text costs a layout).
  function setText(el, text) { if (el && el.textContent !== text) el.textContent = text; }
  function setClass(el, cls, on) {
    if (el && el.classList.contains(cls) !== on) el.classList.toggle(cls, on);
  }

  // one step: every node's state is what the steps up to s made it
  var current = 0, full = false, lit = [];
  svg.style.maxWidth = 1.5 * D.width + "px";  // fit: a small graph is not blown up
  function show(s) {
    var before = current;
    current = Math.max(0, Math.min(last, s));
    var step = steps[current], backward = current >= D.firstBackward;
    var grad = nodes.map(function () { return "0"; });
    for (var k = D.firstBackward; k <= current; k++) {
      if (steps[k].parent !== null && steps[k].parent !== undefined) {
        grad[steps[k].parent] = steps[k].grad;
      }
    }
    nodes.forEach(function (n, i) {
      var computed = n.computedAt !== null && n.computedAt <= current;
      setClass(value[i], "mg-pending", !computed);
      setClass(op[i], "mg-pending", !computed);
      setText(dataText[i], computed ? n.data : "?");
      var t = gradText[i];
      if (t) {
        setText(t, t.getAttribute("data-prefix") + grad[i]);
        setClass(t, "mg-hidden", !backward);
        setClass(t, "mg-zero", backward && grad[i] === "0" && current !== last);
        setClass(t, "mg-new", backward && step.parent === i && current !== last);
      }
    });
    // the highlight of the previous step off, this step's on
    lit.forEach(function (x) { x[0].classList.remove(x[1]); });
    lit = [];
    function light(el, cls) { if (el) { el.classList.add(cls); lit.push([el, cls]); } }
    if (step.phase === "forward") {
      light(value[step.node], "mg-current");
      light(op[step.node], "mg-current");
      (into[step.node] || []).forEach(function (e) { light(e, "mg-in"); });
    } else if (step.phase === "backward") {
      light(value[step.node], "mg-source");
      if (step.parent !== null && step.parent !== step.node) {
        light(value[step.parent], "mg-target");
        (byEnds[step.parent + ">" + step.node + ">head"] || []).concat(
          byEnds[step.node + ">" + step.node + ">tail"] || []).forEach(function (e) {
          light(e, "mg-back");
        });
      }
    }
    deltaRows.forEach(function (r) { setClass(r[0], "pending", !(backward && r[1] <= current)); });
    var lo = Math.min(before, current), hi = Math.max(before, current);
    for (var k2 = (items[lo] && lo === before) ? lo : 0; k2 <= hi; k2++) {
      setClass(items[k2], "current", k2 === current);
      setClass(items[k2], "future", k2 > current);
    }
    if (!initialised) {  // the first time, every item
      for (var k3 = 0; k3 < items.length; k3++) setClass(items[k3], "future", k3 > current);
      initialised = true;
    }
    document.getElementById("now-html").innerHTML = step.html;
    document.getElementById("now-eq").innerHTML = step.eq || "";
    document.getElementById("now-note").innerHTML = step.note || "";
    document.getElementById("counter").textContent = current + " / " + last;
    var phase = document.getElementById("phase");
    phase.className = step.phase;
    phase.textContent = step.phase === "start" ? "start" :
      step.phase === "forward" ? "forward pass" : "backward pass";
    // Scrolling measures the layout: once per frame, not once per key (keys may repeat fast).
    if (!scrollPending) {
      scrollPending = true;
      requestAnimationFrame(follow);
    }
    document.body.setAttribute("data-step", current);
  }
  var initialised = false, scrollPending = false;

  function follow() {  // the step list and, at full size, the graph follow the current step
    scrollPending = false;
    var step = steps[current];
    scrollInto(list, items[current]);
    if (full) {  // the node the step computes, or the edge along which it sends ∂C back
      var at = step.phase === "start" ? [value[steps[Math.min(1, last)].node]] :
        step.phase === "forward" ? [value[step.node], op[step.node]] :
        [value[step.node], value[step.parent]];
      centre(document.getElementById("graph"), at);
    }
  }

  function scrollInto(box, el) {  // scroll the box only, never the page
    if (!el) return;
    var b = box.getBoundingClientRect(), r = el.getBoundingClientRect();
    if (r.top < b.top) box.scrollTop += r.top - b.top - 4;
    else if (r.bottom > b.bottom) box.scrollTop += r.bottom - b.bottom + 4;
    if (r.left < b.left) box.scrollLeft += r.left - b.left - 20;
    else if (r.right > b.right) box.scrollLeft += r.right - b.right + 20;
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

  function zoom() {
    full = !full;
    var graph = document.getElementById("graph");
    graph.classList.toggle("full", full);
    svg.style.width = full ? D.width + "px" : "";
    svg.style.maxWidth = full ? "none" : 1.5 * D.width + "px";
    document.getElementById("zoom").textContent = full ? "fit" : "1:1";
    show(current);
  }

  document.getElementById("home").addEventListener("click", function () { show(0); });
  document.getElementById("prev").addEventListener("click", function () { show(current - 1); });
  document.getElementById("next").addEventListener("click", function () { show(current + 1); });
  document.getElementById("end").addEventListener("click", function () { show(last); });
  document.getElementById("zoom").addEventListener("click", zoom);
  document.addEventListener("keydown", function (e) {
    var to = { ArrowRight: current + 1, ArrowLeft: current - 1, Home: 0, End: last }[e.key];
    if (to === undefined || e.altKey || e.ctrlKey || e.metaKey) return;
    e.preventDefault();
    show(to);
  });
  // a graph much wider than its panel starts at full size (it follows the steps)
  if (D.width > 1.6 * document.getElementById("graph").clientWidth) zoom(); else show(0);
}());

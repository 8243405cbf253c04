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
    layerList.textContent = "No z^l_j nodes: this graph is not an MLP's, so it has no δ's.";
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

  // one step: every node's state is what the steps up to s made it
  var current = 0, full = false;
  function show(s) {
    current = Math.max(0, Math.min(last, s));
    var step = steps[current], backward = current >= D.firstBackward;
    var grad = nodes.map(function () { return "0"; });
    for (var k = D.firstBackward; k <= current; k++) {
      if (steps[k].parent !== null && steps[k].parent !== undefined) grad[steps[k].parent] = steps[k].grad;
    }
    nodes.forEach(function (n, i) {
      var computed = n.computedAt !== null && n.computedAt <= current;
      if (value[i]) value[i].classList.toggle("mg-pending", !computed);
      if (op[i]) op[i].classList.toggle("mg-pending", !computed);
      if (dataText[i]) dataText[i].textContent = computed ? n.data : "?";
      var t = gradText[i];
      if (t) {
        t.textContent = t.getAttribute("data-prefix") + grad[i];
        t.classList.toggle("mg-hidden", !backward);
        t.classList.toggle("mg-zero", backward && grad[i] === "0" && current !== last);
        t.classList.toggle("mg-new", backward && step.parent === i && current !== last);
      }
      [value[i], op[i]].forEach(function (g) {
        if (g) g.classList.remove("mg-current", "mg-source", "mg-target");
      });
    });
    edges.forEach(function (e) { e.classList.remove("mg-in", "mg-back"); });
    if (step.phase === "forward") {
      mark(value[step.node], "mg-current");
      mark(op[step.node], "mg-current");
      edges.forEach(function (e) {
        if (+e.getAttribute("data-to") === step.node) e.classList.add("mg-in");
      });
    } else if (step.phase === "backward") {
      mark(value[step.node], "mg-source");
      if (step.parent !== null && step.parent !== step.node) {
        mark(value[step.parent], "mg-target");
        edges.forEach(function (e) {
          var f = +e.getAttribute("data-from"), t = +e.getAttribute("data-to");
          var end = e.getAttribute("data-op-end");
          if ((f === step.parent && t === step.node && end === "head") ||
              (f === step.node && t === step.node && end === "tail")) e.classList.add("mg-back");
        });
      }
    }
    deltaRows.forEach(function (r) { r[0].classList.toggle("pending", !(backward && r[1] <= current)); });
    for (var k2 = 0; k2 < items.length; k2++) {
      items[k2].classList.toggle("current", k2 === current);
      items[k2].classList.toggle("future", k2 > current);
    }
    scrollInto(list, items[current]);
    document.getElementById("now-html").innerHTML = step.html;
    document.getElementById("now-eq").innerHTML = step.eq || "";
    document.getElementById("now-note").innerHTML = step.note || "";
    document.getElementById("counter").textContent = current + " / " + last;
    var phase = document.getElementById("phase");
    phase.className = step.phase;
    phase.textContent = step.phase === "start" ? "start" :
      step.phase === "forward" ? "forward pass" : "backward pass";
    if (full) {  // follow the step: the node it computes, or the parent it sends ∂C to
      var at = step.phase === "start" ? steps[Math.min(1, last)].node :
        step.parent !== null && step.parent !== undefined ? step.parent : step.node;
      centre(document.getElementById("graph"), value[at]);
    }
    document.body.setAttribute("data-step", current);
  }

  function mark(g, cls) { if (g) g.classList.add(cls); }

  function scrollInto(box, el) {  // scroll the box only, never the page
    if (!el) return;
    var b = box.getBoundingClientRect(), r = el.getBoundingClientRect();
    if (r.top < b.top) box.scrollTop += r.top - b.top - 4;
    else if (r.bottom > b.bottom) box.scrollTop += r.bottom - b.bottom + 4;
    if (r.left < b.left) box.scrollLeft += r.left - b.left - 20;
    else if (r.right > b.right) box.scrollLeft += r.right - b.right + 20;
  }

  function centre(box, el) {  // put el in the middle of the box (the graph panel)
    if (!el) return;
    var b = box.getBoundingClientRect(), r = el.getBoundingClientRect();
    box.scrollTop += (r.top + r.bottom) / 2 - (b.top + b.bottom) / 2;
    box.scrollLeft += (r.left + r.right) / 2 - (b.left + b.right) / 2;
  }

  function zoom() {
    full = !full;
    var graph = document.getElementById("graph");
    graph.classList.toggle("full", full);
    svg.style.width = full ? D.width + "px" : "";
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

// microgrid player: plays a training run, recorded (a `microgrid train --record` page) or live
// (the site's training playground feeds it a frame at a time).  A classic script, no module
// and no request: a recorded page opens from a file, with no server.
//
//   var player = MicrogridPlayer.mount(element, data, {keys: document});
//   player.push({loss: [...], accuracy: [...], frame: {...}, done: false});   // live
//
// data: sizes [2, 16, 16, 1], activation, output_activation, objective, classes, points
// [[x1, x2, class], ...], extent [x_lo, x_hi, y_lo, y_hi], steps, curves {label, stride,
// loss: [...], accuracy: [...]} (entry i: the weights after i·stride steps) and frames
// [{step, W, B, loss?, accuracy?, correct?}] (W[i][j][k] = w^{i+2}_jk, B[i][j] = b^{i+2}_j).
// The numbers are Python's; the one thing computed here is the decision regions: the forward
// pass z^l = w^l a^{l-1} + b^l, a^l = σ(z^l) (docs/backprop.md §2) of a frame's weights on a
// grid, read as microgrid.train.Objective reads an output (one output: class 1 when s > 0;
// several: the largest).
(function (global) {
  "use strict";
  var SVGNS = "http://www.w3.org/2000/svg";
  var CLASS_RGB = [[33, 102, 172], [230, 120, 20], [27, 150, 80], [150, 60, 170],
                   [190, 40, 50], [120, 90, 60]];
  var POS = "#2166ac", NEG = "#e07010";  // a weight's sign: blue > 0, orange < 0
  var SIGMA = {
    relu: function (z) { return z > 0 ? z : 0; },
    tanh: Math.tanh,
    sigmoid: function (z) { return 1 / (1 + Math.exp(-z)); },
    linear: function (z) { return z; }
  };

  function el(tag, attrs, parent, svg) {
    var e = svg ? document.createElementNS(SVGNS, tag) : document.createElement(tag);
    for (var k in attrs) { if (attrs[k] !== undefined) { e.setAttribute(k, attrs[k]); } }
    if (parent) { parent.appendChild(e); }
    return e;
  }
  function svgEl(tag, attrs, parent) { return el(tag, attrs, parent, true); }
  function fmt(x, d) { return x === null || x === undefined ? "–" : x.toFixed(d); }
  function pct(x) { return x === null || x === undefined ? "–" : (100 * x).toFixed(1) + "%"; }

  // ---------------------------------------------------------------- the forward pass
  function scores(frame, acts, x) {
    var a = x;
    for (var i = 0; i < frame.W.length; i++) {
      var W = frame.W[i], B = frame.B[i], s = acts[i], next = new Array(W.length);
      for (var j = 0; j < W.length; j++) {
        var z = B[j] || 0, row = W[j];
        for (var k = 0; k < row.length; k++) { z += (row[k] || 0) * a[k]; }
        next[j] = s(z);
      }
      a = next;
    }
    return a;
  }
  function classOf(out) {
    if (out.length === 1) { return out[0] > 0 ? 1 : 0; }
    var best = 0;
    for (var j = 1; j < out.length; j++) { if (out[j] > out[best]) { best = j; } }
    return best;
  }

  // ---------------------------------------------------------------- the player
  function mount(root, data, options) {
    options = options || {};
    var P = {root: root, data: null, index: 0, playing: false, follow: true, timer: null};
    root.classList.add("mgp");
    root.innerHTML = "";
    var head = el("div", {"class": "mgp-head"}, root);
    var titleEl = el("b", {}, head), aboutEl = el("span", {"class": "mgp-about"}, head);
    var bar = el("div", {"class": "mgp-bar"}, root);
    var play = el("button", {type: "button", "data-role": "play",
                             title: "play the recorded steps (Space)"}, bar);
    var scrub = el("input", {type: "range", min: "0", max: "0", value: "0",
                             "data-role": "scrubber", "aria-label": "recorded step"}, bar);
    var stepEl = el("span", {"class": "mgp-step", "data-role": "step"}, bar);
    var lossEl = el("output", {"class": "mgp-loss", "data-role": "loss"}, bar);
    var accEl = el("output", {"class": "mgp-acc", "data-role": "accuracy"}, bar);
    var panels = el("div", {"class": "mgp-panels"}, root);
    var regionFig = el("figure", {"class": "mgp-regions"}, panels);
    var canvas = el("canvas", {"data-role": "regions", width: "360", height: "360"}, regionFig);
    el("figcaption", {}, regionFig).textContent =
      "decision regions: the class the network gives each point of the plane, with the data";
    var curveFig = el("figure", {"class": "mgp-curves"}, panels);
    var curves = svgEl("svg", {"data-role": "curves", viewBox: "0 0 420 312",
                               role: "img", "aria-label": "loss and accuracy by step"}, curveFig);
    var netFig = el("figure", {"class": "mgp-net"}, panels);
    var net = svgEl("svg", {"data-role": "net", role: "img",
                            "aria-label": "the network: every weight by sign and size"}, netFig);
    el("figcaption", {}, netFig).innerHTML =
      "the network: each line a weight w<sup>l</sup><sub>jk</sub>, <span class=\"mgp-pos\">" +
      "blue &gt; 0</span>, <span class=\"mgp-neg\">orange &lt; 0</span>, as thick as |w| is " +
      "large (relative to this step's largest); each neuron filled by its bias " +
      "b<sup>l</sup><sub>j</sub>. Hover a line or a neuron for its value.";

    var acts = [], netParts = null, curveParts = null;

    // ---- the decision regions: Python's weights, this grid, one colour per class
    var GRID = 90, off = document.createElement("canvas");
    off.width = off.height = GRID;
    function drawRegions(frame) {
      var D = P.data, e = D.extent, ctx = off.getContext("2d"), img = ctx.createImageData(GRID, GRID);
      for (var r = 0; r < GRID; r++) {
        var x2 = e[3] - (e[3] - e[2]) * (r + 0.5) / GRID;
        for (var c = 0; c < GRID; c++) {
          var x1 = e[0] + (e[1] - e[0]) * (c + 0.5) / GRID;
          var out = scores(frame, acts, [x1, x2]), k = classOf(out);
          // how sure: one output's |tanh s|, several: the top two's gap (0 … 1)
          var sure;
          if (out.length === 1) { sure = Math.abs(Math.tanh(out[0])); } else {
            var sorted = out.slice().sort(function (a, b) { return b - a; });
            sure = Math.tanh(sorted[0] - sorted[1]);
          }
          if (!isFinite(sure)) { sure = 1; }
          var rgb = CLASS_RGB[k % CLASS_RGB.length], alpha = 0.18 + 0.42 * sure, o = 4 * (r * GRID + c);
          img.data[o] = Math.round(255 + (rgb[0] - 255) * alpha);
          img.data[o + 1] = Math.round(255 + (rgb[1] - 255) * alpha);
          img.data[o + 2] = Math.round(255 + (rgb[2] - 255) * alpha);
          img.data[o + 3] = 255;
        }
      }
      ctx.putImageData(img, 0, 0);
      var size = canvas.width, g = canvas.getContext("2d");
      g.imageSmoothingEnabled = true;
      g.drawImage(off, 0, 0, size, size);
      var rad = Math.max(3, size / 90);
      D.points.forEach(function (p) {
        var px = (p[0] - e[0]) / (e[1] - e[0]) * size, py = (e[3] - p[1]) / (e[3] - e[2]) * size;
        var rgb = CLASS_RGB[p[2] % CLASS_RGB.length];
        g.beginPath();
        g.arc(px, py, rad, 0, 2 * Math.PI);
        g.fillStyle = "rgb(" + rgb.join(",") + ")";
        g.fill();
        g.lineWidth = Math.max(1, rad / 3);
        g.strokeStyle = "#fff";
        g.stroke();
      });
    }
    function sizeCanvas() {
      var css = Math.max(120, Math.round(canvas.getBoundingClientRect().width || 360));
      var px = Math.round(css * (global.devicePixelRatio || 1));
      if (canvas.width !== px) { canvas.width = canvas.height = px; }
    }

    // ---- the curves: loss (log scale) above, accuracy below, a line at the current step
    var CW = 420, L = 64, R = 26, LOSS = [16, 150], ACC = [186, 270];
    function buildCurves() {
      curves.innerHTML = "";
      var D = P.data;
      curveParts = {};
      svgEl("text", {x: L, y: 12, "class": "mgp-axis-title"}, curves).textContent =
        D.curves.label + " (log scale)";
      svgEl("text", {x: L, y: ACC[0] - 4, "class": "mgp-axis-title"}, curves).textContent =
        "accuracy";
      [LOSS, ACC].forEach(function (band) {
        svgEl("rect", {x: L, y: band[0], width: CW - L - R, height: band[1] - band[0],
                       "class": "mgp-plot"}, curves);
      });
      curveParts.lossTicks = svgEl("g", {"class": "mgp-ticks"}, curves);
      curveParts.accTicks = svgEl("g", {"class": "mgp-ticks"}, curves);
      curveParts.stepTicks = svgEl("g", {"class": "mgp-ticks"}, curves);
      curveParts.lossAll = svgEl("polyline", {"class": "mgp-line mgp-future"}, curves);
      curveParts.accAll = svgEl("polyline", {"class": "mgp-line mgp-future"}, curves);
      curveParts.lossNow = svgEl("polyline", {"class": "mgp-line mgp-loss-line"}, curves);
      curveParts.accNow = svgEl("polyline", {"class": "mgp-line mgp-acc-line"}, curves);
      curveParts.cursor = svgEl("line", {"class": "mgp-cursor", y1: LOSS[0], y2: ACC[1]}, curves);
      svgEl("text", {x: (L + CW - R) / 2, y: 308, "class": "mgp-axis-title mgp-mid"},
            curves).textContent = "step";
      curveParts.scale = null;
    }
    function curveScale() {
      var D = P.data, lo = Infinity, hi = -Infinity;
      D.curves.loss.forEach(function (v) {
        if (v !== null && v > 0 && isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
      });
      if (!isFinite(lo)) { lo = 0.01; hi = 1; }
      lo = Math.pow(10, Math.floor(Math.log10(lo)));
      hi = Math.pow(10, Math.ceil(Math.log10(hi)));
      if (hi <= lo) { hi = lo * 10; }
      var steps = Math.max(D.steps, 1);
      return {lo: lo, hi: hi, steps: steps, key: lo + "/" + hi + "/" + steps};
    }
    function xOf(step, S) { return L + (CW - L - R) * step / S.steps; }
    function yLoss(v, S) {
      var t = (Math.log10(Math.max(v, S.lo)) - Math.log10(S.lo)) / (Math.log10(S.hi) - Math.log10(S.lo));
      return LOSS[1] - t * (LOSS[1] - LOSS[0]);
    }
    function yAcc(v) { return ACC[1] - v * (ACC[1] - ACC[0]); }
    function ticks(S) {
      var g = curveParts.lossTicks;
      g.innerHTML = "";
      for (var p = S.lo; p <= S.hi * 1.0001; p *= 10) {
        var y = yLoss(p, S);
        svgEl("line", {x1: L - 4, x2: CW - R, y1: y, y2: y}, g);
        svgEl("text", {x: L - 6, y: y + 4, "class": "mgp-end"}, g).textContent =
          p >= 1 ? String(p) : p.toPrecision(1);
      }
      g = curveParts.accTicks;
      g.innerHTML = "";
      [0, 0.5, 1].forEach(function (v) {
        svgEl("line", {x1: L - 4, x2: CW - R, y1: yAcc(v), y2: yAcc(v)}, g);
        svgEl("text", {x: L - 6, y: yAcc(v) + 4, "class": "mgp-end"}, g).textContent =
          (100 * v) + "%";
      });
      g = curveParts.stepTicks;
      g.innerHTML = "";
      [0, 0.25, 0.5, 0.75, 1].forEach(function (f) {
        var s = Math.round(f * S.steps), x = xOf(s, S);
        svgEl("line", {x1: x, x2: x, y1: ACC[1], y2: ACC[1] + 4}, g);
        svgEl("text", {x: x, y: ACC[1] + 16, "class": "mgp-mid"}, g).textContent = String(s);
      });
    }
    function points(values, upto, S, y) {
      var stride = P.data.curves.stride, n = Math.min(values.length, upto + 1);
      var every = Math.max(1, Math.floor(n / 800)), out = [];
      for (var i = 0; i < n; i += every) {
        if (values[i] !== null && isFinite(values[i])) {
          out.push(xOf(i * stride, S).toFixed(1) + "," + y(values[i], S).toFixed(1));
        }
      }
      var lastI = n - 1;
      if (lastI >= 0 && lastI % every && values[lastI] !== null) {
        out.push(xOf(lastI * stride, S).toFixed(1) + "," + y(values[lastI], S).toFixed(1));
      }
      return out.join(" ");
    }
    function drawCurves(step) {
      var D = P.data, S = curveScale();
      if (!curveParts.scale || curveParts.scale.key !== S.key || P.data._grown) {
        if (!curveParts.scale || curveParts.scale.key !== S.key) { ticks(S); }
        curveParts.scale = S;
        var all = D.curves.loss.length;
        curveParts.lossAll.setAttribute("points", points(D.curves.loss, all, S, yLoss));
        curveParts.accAll.setAttribute("points", points(D.curves.accuracy, all, S, yAcc));
        P.data._grown = false;
      }
      var upto = Math.floor(step / D.curves.stride);
      curveParts.lossNow.setAttribute("points", points(D.curves.loss, upto, S, yLoss));
      curveParts.accNow.setAttribute("points", points(D.curves.accuracy, upto, S, yAcc));
      var x = xOf(step, S);
      curveParts.cursor.setAttribute("x1", x);
      curveParts.cursor.setAttribute("x2", x);
    }

    // ---- the network view: neurons in layers, every weight a line
    function buildNet() {
      net.innerHTML = "";
      var sizes = P.data.sizes, cols = sizes.length, tallest = Math.max.apply(null, sizes);
      var gap = tallest > 24 ? 14 : tallest > 12 ? 20 : 30, W = 110 * (cols - 1) + 120;
      var H = Math.max(140, gap * tallest + 50);
      net.setAttribute("viewBox", "0 0 " + W + " " + H);
      net.style.maxHeight = Math.max(200, Math.min(H, 560)) + "px";
      var pos = sizes.map(function (n, l) {
        var ys = [];
        for (var j = 0; j < n; j++) { ys.push(H / 2 + (j - (n - 1) / 2) * gap + 6); }
        return {x: 60 + 110 * l, ys: ys};
      });
      var lines = svgEl("g", {"class": "mgp-weights"}, net), nodes = svgEl("g", {}, net);
      netParts = {w: [], b: []};
      for (var i = 0; i < cols - 1; i++) {
        var rows = [];
        for (var j = 0; j < sizes[i + 1]; j++) {
          var row = [];
          for (var k = 0; k < sizes[i]; k++) {
            var ln = svgEl("line", {x1: pos[i].x, y1: pos[i].ys[k], x2: pos[i + 1].x,
                                    y2: pos[i + 1].ys[j]}, lines);
            row.push({line: ln, title: svgEl("title", {}, ln),
                      name: "w^" + (i + 2) + "_{" + (j + 1) + "," + (k + 1) + "}"});
          }
          rows.push(row);
        }
        netParts.w.push(rows);
      }
      var r = Math.min(9, gap / 2 - 1);
      pos.forEach(function (p, l) {
        var bs = [];
        p.ys.forEach(function (y, j) {
          var c = svgEl("circle", {cx: p.x, cy: y, r: r, "class": "mgp-neuron"}, nodes);
          var t = svgEl("title", {}, c);
          t.textContent = l === 0 ? "input a^1_" + (j + 1) : "";
          bs.push({circle: c, title: t, name: "b^" + (l + 1) + "_" + (j + 1)});
        });
        if (l > 0) { netParts.b.push(bs); }
        // ≥ 11 px on screen when the view is at its narrowest (420 px: player.css)
        svgEl("text", {x: p.x, y: 16, "class": "mgp-mid mgp-layer",
                       style: "font-size:" + Math.max(13, 13 * W / 420).toFixed(1) + "px"},
              net).textContent =
          l === 0 ? "input" : l === cols - 1 ? "output (l = " + (l + 1) + ")" : "l = " + (l + 1);
      });
    }
    function drawNet(frame) {
      var big = 0;
      frame.W.forEach(function (L) { L.forEach(function (row) { row.forEach(function (w) {
        if (w !== null && isFinite(w)) { big = Math.max(big, Math.abs(w)); } }); }); });
      big = big || 1;
      frame.W.forEach(function (L, i) { L.forEach(function (row, j) { row.forEach(function (w, k) {
        var part = netParts.w[i][j][k], m = w === null ? 0 : Math.abs(w) / big;
        part.line.setAttribute("stroke", w === null || w >= 0 ? POS : NEG);
        part.line.setAttribute("stroke-width", (0.4 + 4.6 * m).toFixed(2));
        part.line.setAttribute("stroke-opacity", (0.25 + 0.75 * m).toFixed(2));
        part.title.textContent = part.name + " = " + (w === null ? "not finite" : w);
      }); }); });
      frame.B.forEach(function (L, i) { L.forEach(function (b, j) {
        var part = netParts.b[i][j], m = b === null ? 1 : Math.min(1, Math.abs(b) / big);
        var rgb = b === null || b >= 0 ? [33, 102, 172] : [224, 112, 16];
        part.circle.setAttribute("fill", "rgb(" + rgb.map(function (c) {
          return Math.round(255 + (c - 255) * m); }).join(",") + ")");
        part.title.textContent = part.name + " = " + (b === null ? "not finite" : b);
      }); });
    }

    // ---- one frame on screen
    function valueAt(list, step) {
      var i = Math.floor(step / P.data.curves.stride);
      return i < list.length && step % P.data.curves.stride === 0 ? list[i] : null;
    }
    function show(index) {
      var D = P.data, frames = D.frames;
      index = Math.max(0, Math.min(frames.length - 1, index));
      P.index = index;
      P.follow = index === frames.length - 1;
      var f = frames[index];
      scrub.value = String(index);
      stepEl.textContent = "step " + f.step + " / " + D.steps;
      var loss = f.loss !== undefined ? f.loss : valueAt(D.curves.loss, f.step);
      var acc = f.accuracy !== undefined ? f.accuracy : valueAt(D.curves.accuracy, f.step);
      var before = loss === null && f.loss === undefined && f.step > 0 ?
        valueAt(D.curves.loss, f.step - 1) : null;  // live: the last step's, before its update
      if (before !== null) { loss = before; acc = valueAt(D.curves.accuracy, f.step - 1); }
      lossEl.textContent = f.loss === null ? "loss: overflowed" : "loss " + fmt(loss, 4) +
        (before !== null ? " (step " + f.step + ", before its update)" : "");
      accEl.textContent = "accuracy " + pct(acc) +
        (f.correct !== undefined && f.correct !== null ?
          " (" + f.correct + "/" + D.points.length + ")" : "");
      lossEl.title = f.loss !== undefined ?
        "the loss of these weights on all " + D.points.length + " points" :
        "the " + D.curves.label + " at this step";
      drawRegions(f);
      drawCurves(f.step);
      drawNet(f);
      if (options.onShow) { options.onShow(f, index); }
    }
    function setPlaying(on) {
      P.playing = on;
      play.textContent = on ? "❚❚ Pause" : "▶ Play";
      if (P.timer) { clearInterval(P.timer); P.timer = null; }
      if (on) {
        if (P.index >= P.data.frames.length - 1) { show(0); }
        P.timer = setInterval(function () {
          show(P.index + 1);
          if (P.index >= P.data.frames.length - 1) { setPlaying(false); }
        }, options.interval || 120);
      }
    }

    function setup(d) {
      setPlaying(false);
      P.data = d;
      titleEl.textContent = d.title;
      aboutEl.textContent = d.about || "";
      acts = d.sizes.slice(1).map(function (_, i) {
        return SIGMA[i === d.sizes.length - 2 ? d.output_activation : d.activation];
      });
      scrub.max = String(d.frames.length - 1);
      buildCurves();
      buildNet();
      sizeCanvas();
      show(d.frames.length - 1 && !options.live ? 0 : d.frames.length - 1);
    }

    play.addEventListener("click", function () { setPlaying(!P.playing); });
    scrub.addEventListener("input", function () { setPlaying(false); show(+scrub.value); });
    var keys = options.keys;
    if (keys) {
      keys.addEventListener("keydown", function (ev) {
        var t = ev.target, tag = t && t.tagName;
        if (tag === "INPUT" && t !== scrub || tag === "SELECT" || tag === "TEXTAREA") { return; }
        var k = ev.key, n = P.data.frames.length - 1;
        if (k === " " || k === "Spacebar") { setPlaying(!P.playing); }
        else if (k === "ArrowRight") { setPlaying(false); show(P.index + 1); }
        else if (k === "ArrowLeft") { setPlaying(false); show(P.index - 1); }
        else if (k === "Home") { setPlaying(false); show(0); }
        else if (k === "End") { setPlaying(false); show(n); }
        else { return; }
        ev.preventDefault();
      });
    }
    var resized = null;
    global.addEventListener("resize", function () {
      clearTimeout(resized);
      resized = setTimeout(function () { sizeCanvas(); show(P.index); }, 100);
    });

    P.setup = setup;
    P.show = show;
    P.setPlaying = setPlaying;
    P.frame = function () { return P.data.frames[P.index]; };
    // live: the steps after the last frame (their loss and accuracy) and a frame after them
    P.push = function (update) {
      var D = P.data, follow = P.follow;
      Array.prototype.push.apply(D.curves.loss, update.loss || []);
      Array.prototype.push.apply(D.curves.accuracy, update.accuracy || []);
      D._grown = true;
      if (update.frame) { D.frames.push(update.frame); }
      scrub.max = String(D.frames.length - 1);
      if (follow) { show(D.frames.length - 1); } else { drawCurves(D.frames[P.index].step); }
    };
    setup(data);
    return P;
  }

  global.MicrogridPlayer = {mount: mount, scores: scores, classOf: classOf};
})(typeof window !== "undefined" ? window : this);

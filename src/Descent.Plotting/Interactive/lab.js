// The Descent lab's interactive viewer. It reads the data the report carries in the page (never fetched), draws
// the explorer (#explorer: one landscape, one optimizer, its runs over learning rates and momenta) and the theory
// widget (#theory: Descent's iterates on a quadratic beside the closed form), and sets
// document.body.dataset.labReady = "1" once the first landscape and the theory are drawn.
// Plain canvas, no library; the page contract is in the lab's documentation (lab-data.md).
(function () {
  "use strict";

  const ARROWS = { g: "#c0392b", m: "#7d3c98", step: "#1d1d1f" };

  // ---------------------------------------------------------------- data

  /** The JSON of a data element: plain (application/json) or base64(gzip(UTF-8 JSON)). */
  async function readData(id) {
    const el = document.getElementById(id);
    if (!el) throw new Error("the page has no data element #" + id);
    if (el.getAttribute("data-encoding") !== "gzip+base64") return JSON.parse(el.textContent);
    const bytes = base64Bytes(el.textContent.trim());
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).json();
  }

  function base64Bytes(text) {
    if (Uint8Array.fromBase64) return Uint8Array.fromBase64(text);
    const binary = atob(text), bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }

  /** Decoded landscapes by id, each decoded once, when first shown. */
  const landscapes = new Map();
  function landscape(entry) {
    if (!landscapes.has(entry.id)) landscapes.set(entry.id, readData(entry.data).then(prepareLandscape));
    return landscapes.get(entry.id);
  }

  function prepareLandscape(land) {
    land.heat = heatImage(land.surface);
    land.contours = contourSegments(land.surface, land.frame, 12);
    return land;
  }

  /** Pairs delta-coded as [a0, b0, a1 - a0, b1 - b0, ...], scaled by (sx, sy) and shifted by (ox, oy). */
  function undelta(q, sx, sy, ox, oy) {
    if (!q) return null;
    const out = new Float64Array(q.length);
    let a = 0, b = 0;
    for (let t = 0; t + 1 < q.length; t += 2) {
      a += q[t]; b += q[t + 1];
      out[t] = ox + a * sx; out[t + 1] = oy + b * sy;
    }
    return out;
  }

  /** A run's points and arrows in function coordinates (decoded from quanta once). */
  function path(land, run) {
    if (run.pts) return run;
    const [x0, x1, y0, y1] = land.frame;
    const w = x1 - x0, h = y1 - y0, q = land.quanta;
    run.pts = undelta(run.xy, w / q.xy, h / q.xy, x0, y0);
    run.gv = undelta(run.g, w / q.arrow, h / q.arrow, 0, 0);
    run.mv = undelta(run.m, w / q.arrow, h / q.arrow, 0, 0);
    return run;
  }

  const runIndex = (opt, li, mi) => (opt.momentum ? mi : 0) * opt.lrs.length + li;
  const runOf = (opt, li, mi) => opt.runs[runIndex(opt, li, mi)];

  /** The default run's indices: the default lr among lrs, the default momentum among values (0 without). */
  function defaults(opt) {
    const li = Math.max(0, nearest(opt.lrs, opt.default.lr));
    const mi = opt.momentum ? Math.max(0, nearest(opt.momentum.values, opt.default.momentum)) : 0;
    return { li, mi };
  }

  function nearest(values, v) {
    let best = -1, d = Infinity;
    values.forEach((u, i) => { const e = Math.abs(u - v); if (e < d) { d = e; best = i; } });
    return best;
  }

  // ---------------------------------------------------------------- formatting and DOM

  function fmt(v, digits) {
    if (v === null || v === undefined) return "–";
    if (!isFinite(v)) return String(v);
    const a = Math.abs(v);
    if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential((digits || 3) - 1).replace("e+", "e");
    return String(+v.toPrecision(digits || 3));
  }

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else if (v !== null && v !== undefined && v !== false) e.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children) if (c) e.append(c);
    return e;
  }

  function slider(cls, max, value, onInput) {
    const input = el("input", { type: "range", class: cls, min: 0, max: Math.max(0, max), step: 1, value });
    input.addEventListener("input", () => onInput(+input.value));
    return input;
  }

  // ---------------------------------------------------------------- canvas plumbing

  /** Sizes a canvas for the screen's pixel ratio and returns its context in CSS pixels. */
  function setup(canvas, width, height) {
    const dpr = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(width * dpr) || canvas.height !== Math.round(height * dpr)) {
      canvas.width = Math.round(width * dpr); canvas.height = Math.round(height * dpr);
      canvas.style.width = width + "px"; canvas.style.height = height + "px";
    }
    const ctx = canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    return ctx;
  }

  /** A mapping from a function-coordinate rectangle [x0, x1, y0, y1] to a pixel rectangle (y up). */
  function view(rect, left, top, width, height, logY) {
    const [x0, x1, y0, y1] = rect;
    const fy = logY ? Math.log10 : (v) => v;
    const a = fy(y0), b = fy(y1);
    return {
      rect, left, top, width, height,
      px: (x) => left + (x - x0) / (x1 - x0) * width,
      py: (y) => top + height - (fy(y) - a) / (b - a) * height,
    };
  }

  function plotSize(canvas, frame, maxWidth) {
    const parent = canvas.parentElement;
    const width = Math.max(220, Math.min(maxWidth, (parent && parent.clientWidth) || maxWidth));
    const aspect = Math.min(1.2, Math.max(0.5, (frame[3] - frame[2]) / (frame[1] - frame[0])));
    return { width, height: Math.round(width * aspect) };
  }

  // A light scale: pale blue at the minimum, through cream, to pale orange.
  const STOPS = [[226, 238, 250], [246, 244, 226], [246, 205, 170]];
  const PALETTE = Array.from({ length: 256 }, (_, i) => {
    const t = i / 255 * (STOPS.length - 1), k = Math.min(STOPS.length - 2, Math.floor(t)), f = t - k;
    return STOPS[k].map((c, j) => Math.round(c + (STOPS[k + 1][j] - c) * f));
  });

  /** The surface as an nx × ny image (row 0 of z, at ymin, is the image's bottom row). */
  function heatImage(surface) {
    const { nx, ny, z } = surface;
    const canvas = document.createElement("canvas");
    canvas.width = nx; canvas.height = ny;
    const ctx = canvas.getContext("2d"), img = ctx.createImageData(nx, ny);
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        const c = PALETTE[Math.max(0, Math.min(255, z[j * nx + i] | 0))], o = 4 * ((ny - 1 - j) * nx + i);
        img.data[o] = c[0]; img.data[o + 1] = c[1]; img.data[o + 2] = c[2]; img.data[o + 3] = 255;
      }
    }
    ctx.putImageData(img, 0, 0);
    return canvas;
  }

  const CORNERS = [[0, 0], [1, 0], [1, 1], [0, 1]];

  /** Contour segments [xa, ya, xb, yb, ...] of the quantised surface at `levels` evenly spaced levels (marching squares). */
  function contourSegments(surface, rect, levels) {
    const { nx, ny, z } = surface, [x0, x1, y0, y1] = rect;
    const X = (i) => x0 + i / (nx - 1) * (x1 - x0), Y = (j) => y0 + j / (ny - 1) * (y1 - y0);
    const out = [], v = [0, 0, 0, 0], hits = [];
    for (let j = 0; j < ny - 1; j++) {
      for (let i = 0; i < nx - 1; i++) {
        // Corners counter-clockwise from the bottom left; each edge crossing found by linear interpolation.
        v[0] = z[j * nx + i]; v[1] = z[j * nx + i + 1]; v[2] = z[(j + 1) * nx + i + 1]; v[3] = z[(j + 1) * nx + i];
        const lo = Math.min(v[0], v[1], v[2], v[3]), hi = Math.max(v[0], v[1], v[2], v[3]);
        if (lo === hi) continue;
        for (let l = 1; l <= levels; l++) {
          const L = l * 255 / (levels + 1);
          if (L <= lo || L > hi) continue;
          hits.length = 0;
          for (let e = 0; e < 4; e++) {
            const a = v[e], b = v[(e + 1) % 4];
            if ((a < L) !== (b < L)) {
              const f = (L - a) / (b - a), p = CORNERS[e], q = CORNERS[(e + 1) % 4];
              hits.push(X(i + p[0] + (q[0] - p[0]) * f), Y(j + p[1] + (q[1] - p[1]) * f));
            }
          }
          for (let h = 0; h + 3 < hits.length; h += 4) out.push(hits[h], hits[h + 1], hits[h + 2], hits[h + 3]);
        }
      }
    }
    return Float64Array.from(out);
  }

  /** Heatmap, contour lines and the box outline of a landscape (or the theory's quadratic). */
  function drawSurface(ctx, v, heat, contours, box) {
    ctx.save();
    ctx.beginPath(); ctx.rect(v.left, v.top, v.width, v.height); ctx.clip();
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(heat, v.left, v.top, v.width, v.height);
    ctx.strokeStyle = "rgba(60, 70, 90, 0.28)"; ctx.lineWidth = 0.8;
    ctx.beginPath();
    for (let s = 0; s < contours.length; s += 4) {
      ctx.moveTo(v.px(contours[s]), v.py(contours[s + 1]));
      ctx.lineTo(v.px(contours[s + 2]), v.py(contours[s + 3]));
    }
    ctx.stroke();
    ctx.restore();
    if (box) {
      ctx.strokeStyle = "rgba(30, 30, 30, 0.55)"; ctx.lineWidth = 1; ctx.setLineDash([4, 3]);
      const xa = v.px(box[0]), xb = v.px(box[1]), ya = v.py(box[3]), yb = v.py(box[2]);
      ctx.strokeRect(xa, ya, xb - xa, yb - ya);
      ctx.setLineDash([]);
    }
    ctx.strokeStyle = "#9aa0a6"; ctx.lineWidth = 1;
    ctx.strokeRect(v.left, v.top, v.width, v.height);
  }

  /**
   * The surface, contours, box and axes of a view, painted once per size into an offscreen canvas (at the screen's
   * pixel ratio) and copied on every redraw: a slider then redraws only the paths.
   */
  function drawBackdrop(ctx, owner, key, width, height, paint) {
    const dpr = window.devicePixelRatio || 1;
    owner.backdrops = owner.backdrops || new Map();
    key += "@" + width + "x" + height + "x" + dpr;
    let image = owner.backdrops.get(key);
    if (!image) {
      image = document.createElement("canvas");
      image.width = Math.round(width * dpr); image.height = Math.round(height * dpr);
      const c = image.getContext("2d");
      c.setTransform(dpr, 0, 0, dpr, 0, 0);
      paint(c);
      owner.backdrops.set(key, image);
    }
    ctx.drawImage(image, 0, 0, width, height);
  }

  function drawMarks(ctx, v, land) {
    for (const [x, y] of land.minima || []) star(ctx, v.px(x), v.py(y), 6, "#1d1d1f");
    const [sx, sy] = land.start;
    ctx.fillStyle = "#fff"; ctx.strokeStyle = "#1d1d1f"; ctx.lineWidth = 1.5;
    ctx.beginPath(); ctx.arc(v.px(sx), v.py(sy), 4.5, 0, 2 * Math.PI); ctx.fill(); ctx.stroke();
  }

  function star(ctx, x, y, r, color) {
    ctx.fillStyle = color; ctx.beginPath();
    for (let k = 0; k < 10; k++) {
      const a = -Math.PI / 2 + k * Math.PI / 5, rr = k % 2 ? r * 0.45 : r;
      ctx.lineTo(x + rr * Math.cos(a), y + rr * Math.sin(a));
    }
    ctx.closePath(); ctx.fill();
  }

  /** A polyline through points 0..last of a run, clipped to the view. */
  function drawPath(ctx, v, pts, last, color, width, alpha) {
    if (last < 0) return;
    ctx.save();
    ctx.beginPath(); ctx.rect(v.left, v.top, v.width, v.height); ctx.clip();
    ctx.globalAlpha = alpha; ctx.strokeStyle = color; ctx.lineWidth = width; ctx.lineJoin = "round";
    ctx.beginPath();
    for (let t = 0; t <= last; t++) ctx.lineTo(v.px(pts[2 * t]), v.py(pts[2 * t + 1]));
    ctx.stroke();
    ctx.restore();
  }

  function dot(ctx, x, y, r, fill, stroke) {
    ctx.fillStyle = fill; ctx.beginPath(); ctx.arc(x, y, r, 0, 2 * Math.PI); ctx.fill();
    if (stroke) { ctx.strokeStyle = stroke; ctx.lineWidth = 1.5; ctx.stroke(); }
  }

  function arrow(ctx, x, y, dx, dy, color) {
    const len = Math.hypot(dx, dy);
    if (!isFinite(len) || len < 0.5) return;
    ctx.strokeStyle = color; ctx.fillStyle = color; ctx.lineWidth = 2;
    ctx.beginPath(); ctx.moveTo(x, y); ctx.lineTo(x + dx, y + dy); ctx.stroke();
    const head = Math.min(9, len * 0.5), a = Math.atan2(dy, dx);
    ctx.beginPath();
    ctx.moveTo(x + dx, y + dy);
    ctx.lineTo(x + dx - head * Math.cos(a - 0.4), y + dy - head * Math.sin(a - 0.4));
    ctx.lineTo(x + dx - head * Math.cos(a + 0.4), y + dy - head * Math.sin(a + 0.4));
    ctx.closePath(); ctx.fill();
  }

  /** Up to about six round tick values between a and b. */
  function ticks(a, b) {
    const span = b - a, step0 = Math.pow(10, Math.floor(Math.log10(span / 5)));
    const step = [1, 2, 5, 10].map((m) => m * step0).find((s) => span / s <= 6);
    const out = [];
    for (let t = Math.ceil(a / step) * step; t <= b + step * 1e-9; t += step) out.push(Math.abs(t) < step * 1e-9 ? 0 : t);
    return out;
  }

  function drawAxes(ctx, v, logY) {
    ctx.fillStyle = "#5f6368"; ctx.font = "11px sans-serif";
    const [x0, x1, y0, y1] = v.rect;
    ctx.textAlign = "center"; ctx.textBaseline = "top";
    for (const t of ticks(x0, x1)) ctx.fillText(fmt(t), v.px(t), v.top + v.height + 4);
    ctx.textAlign = "right"; ctx.textBaseline = "middle";
    const ys = logY ? decades(y0, y1) : ticks(y0, y1);
    for (const t of ys) ctx.fillText(logY ? "1e" + Math.round(Math.log10(t)) : fmt(t), v.left - 4, v.py(t));
  }

  function decades(a, b) {
    const lo = Math.ceil(Math.log10(a)), hi = Math.floor(Math.log10(b)), every = Math.max(1, Math.ceil((hi - lo + 1) / 7));
    const out = [];
    for (let e = lo; e <= hi; e += every) out.push(Math.pow(10, e));
    return out;
  }

  const MARGIN = { left: 40, right: 10, top: 10, bottom: 22 };
  function framedView(canvas, rect, maxWidth, logY) {
    const { width, height } = plotSize(canvas, rect, maxWidth);
    const ctx = setup(canvas, width, height);
    const v = view(rect, MARGIN.left, MARGIN.top, width - MARGIN.left - MARGIN.right, height - MARGIN.top - MARGIN.bottom, logY);
    return { ctx, v, width, height };
  }

  /** A landscape's view with its backdrop (surface, contours, box, axes) and marks. */
  function landscapeView(canvas, land, maxWidth) {
    const f = framedView(canvas, land.frame, maxWidth);
    drawBackdrop(f.ctx, land, "framed", f.width, f.height, (c) => {
      drawSurface(c, f.v, land.heat, land.contours, land.box);
      drawAxes(c, f.v);
    });
    return f;
  }

  // ---------------------------------------------------------------- explorer

  function Explorer(root, index) {
    const s = { entry: null, land: null, opt: null, li: 0, mi: 0, step: 0, playing: false, picks: null };
    const tabs = el("div", { class: "lab-tabs", role: "tablist" });
    const head = el("div", { class: "lab-head" });
    const select = el("select", { class: "lab-optimizer", "aria-label": "optimizer" });
    const principle = el("p", { class: "lab-principle" });
    const focus = el("canvas", { class: "lab-focus", role: "img", "aria-label": "the selected run over the landscape" });
    const legend = el("div", { class: "lab-legend" });
    const readout = el("p", { class: "lab-readout", "aria-live": "polite" });
    const lrLabel = el("span", { class: "lab-value" }), momentumLabel = el("span", { class: "lab-value" });
    const stepLabel = el("span", { class: "lab-value" });
    const lr = slider("lab-lr", 0, 0, (li) => { s.li = li; runChanged(); });
    const momentum = slider("lab-momentum", 0, 0, (mi) => { s.mi = mi; runChanged(); });
    const step = slider("lab-step", 0, 0, (k) => { stop(); s.step = k; drawFocus(); });
    const play = el("button", { type: "button", class: "lab-play", onclick: () => (s.playing ? stop() : start()) });
    const momentumRow = el("label", { class: "lab-control" }, el("span", { class: "lab-name" }), momentum, momentumLabel);
    const stability = el("div", { class: "lab-stability" });
    const stabilityNote = el("p", { class: "lab-note" });
    const multiples = el("div", { class: "lab-multiples" });
    const picks = el("div", { class: "lab-overlay-picks" });
    const overlay = el("canvas", { class: "lab-overlay", role: "img", "aria-label": "the picked optimizers' default runs" });

    for (const [k, text] of [["g", "gradient step −lr∇f"], ["m", "momentum / first moment"], ["step", "step taken"]]) {
      legend.append(el("span", { class: "lab-key" }, el("i", { style: "background:" + ARROWS[k] }), text));
    }
    select.addEventListener("change", () => selectOptimizer(select.value));
    root.append(
      tabs, head,
      el("div", { class: "lab-main" },
        el("div", { class: "lab-focus-pane" }, focus, legend, readout),
        el("div", { class: "lab-controls" },
          el("label", { class: "lab-control" }, el("span", { class: "lab-name", text: "optimizer" }), select),
          principle,
          el("label", { class: "lab-control" }, el("span", { class: "lab-name", text: "learning rate" }), lr, lrLabel),
          momentumRow,
          el("label", { class: "lab-control" }, el("span", { class: "lab-name", text: "step" }), step, stepLabel),
          el("div", { class: "lab-control" }, play),
          el("p", { class: "lab-name", text: "Stability: every learning rate × momentum (click a cell to show it)" }),
          stability, stabilityNote)),
      el("h4", { text: "Every optimizer, its default run (click one to explore it)" }), multiples,
      el("h4", { text: "Side by side" }), picks, overlay);
    for (const entry of index.landscapes) {
      tabs.append(el("button", {
        type: "button", class: "lab-tab", role: "tab", "data-landscape": entry.id, text: entry.title || entry.id,
        onclick: () => showLandscape(entry),
      }));
    }

    const run = () => path(s.land, runOf(s.opt, s.li, s.mi));

    async function showLandscape(entry) {
      stop();
      const land = await landscape(entry);
      s.entry = entry; s.land = land;
      for (const b of tabs.children) b.classList.toggle("selected", b.dataset.landscape === entry.id);
      head.replaceChildren(el("p", { class: "lab-formula", text: [land.title, land.formula].filter(Boolean).join(": ") }));
      if (land.remarks) head.append(el("p", { class: "lab-note", text: land.remarks }));
      select.replaceChildren(...land.optimizers.map((o) => el("option", { value: o.name, text: o.title || o.name })));
      if (!s.picks) s.picks = defaultPicks(land.optimizers);
      const keep = s.opt && land.optimizers.find((o) => o.name === s.opt.name);
      buildMultiples(); buildPicks();
      selectOptimizer((keep || land.optimizers[0]).name);
      drawOverlay();
    }

    function selectOptimizer(name) {
      stop();
      const opt = s.land.optimizers.find((o) => o.name === name);
      s.opt = opt; select.value = name;
      ({ li: s.li, mi: s.mi } = defaults(opt));
      principle.textContent = opt.principle || "";
      lr.max = opt.lrs.length - 1;
      momentumRow.hidden = !opt.momentum; momentum.disabled = !opt.momentum;
      momentum.max = opt.momentum ? opt.momentum.values.length - 1 : 0;
      momentumRow.querySelector(".lab-name").textContent = opt.momentum ? "momentum " + opt.momentum.label : "momentum";
      for (const c of multiples.children) c.classList.toggle("selected", c.dataset.optimizer === name);
      buildStability();
      s.step = run().n - 1; // a new optimizer starts with its whole path shown
      runChanged();
    }

    /** After lr or momentum changed: the sliders, the step (kept, clamped), the map's selection, the focus view. */
    function runChanged() {
      stop();
      const r = run();
      lr.value = s.li; momentum.value = s.mi;
      lrLabel.textContent = "lr = " + fmt(s.opt.lrs[s.li]);
      momentumLabel.textContent = s.opt.momentum ? s.opt.momentum.label + " = " + fmt(s.opt.momentum.values[s.mi]) : "";
      step.max = r.n - 1;
      s.step = Math.min(s.step, r.n - 1);
      for (const c of stability.querySelectorAll(".lab-cell")) {
        c.classList.toggle("selected", +c.dataset.li === s.li && +c.dataset.mi === s.mi);
      }
      drawFocus();
    }

    function drawFocus() {
      const land = s.land, opt = s.opt, r = run(), k = s.step;
      step.value = k;
      stepLabel.textContent = "step " + k + " of " + (r.n - 1);
      const { ctx, v } = landscapeView(focus, land, 560);
      drawPath(ctx, v, r.pts, r.n - 1, opt.color, 1.5, 0.25);
      drawPath(ctx, v, r.pts, k, opt.color, 2, 1);
      drawMarks(ctx, v, land);
      const x = r.pts[2 * k], y = r.pts[2 * k + 1], X = v.px(x), Y = v.py(y);
      ctx.save(); ctx.beginPath(); ctx.rect(v.left, v.top, v.width, v.height); ctx.clip();
      const sx = v.width / (land.frame[1] - land.frame[0]), sy = -v.height / (land.frame[3] - land.frame[2]);
      if (r.gv) arrow(ctx, X, Y, r.gv[2 * k] * sx, r.gv[2 * k + 1] * sy, ARROWS.g);
      if (r.mv && k < r.n - 1) arrow(ctx, X, Y, r.mv[2 * k] * sx, r.mv[2 * k + 1] * sy, ARROWS.m);
      if (k < r.n - 1) arrow(ctx, X, Y, v.px(r.pts[2 * k + 2]) - X, v.py(r.pts[2 * k + 3]) - Y, ARROWS.step);
      dot(ctx, X, Y, 5, opt.color, "#fff");
      ctx.restore();
      legend.children[1].hidden = !r.mv;
      focus.dataset.run = land.id + "/" + opt.name + "/" + s.li + "/" + (opt.momentum ? s.mi : 0);
      focus.dataset.point = x.toPrecision(6) + "," + y.toPrecision(6);
      readout.textContent = "step " + k + " of " + (r.n - 1) + " · (" + fmt(x, 4) + ", " + fmt(y, 4) + ") · loss "
        + fmt(r.loss[k], 4) + " · " + status(r, land);
    }

    // ---- play: advances the step in about four seconds per run, stops at the end
    let last = 0, carry = 0;
    function start() {
      const r = run();
      if (s.step >= r.n - 1) s.step = 0;
      s.playing = true; play.textContent = "❚❚ pause"; last = performance.now(); carry = 0;
      requestAnimationFrame(tick);
    }
    function tick(now) {
      if (!s.playing) return;
      const r = run();
      carry += (now - last) * Math.max(1, r.n - 1) / 4000; last = now;
      const advance = Math.floor(carry);
      if (advance > 0) { carry -= advance; s.step = Math.min(r.n - 1, s.step + advance); drawFocus(); }
      if (s.step >= r.n - 1) stop(); else requestAnimationFrame(tick);
    }
    function stop() { s.playing = false; play.textContent = "▶ play"; }

    // ---- small multiples: every optimizer's default run on the same axes
    function buildMultiples() {
      multiples.replaceChildren(...s.land.optimizers.map((opt) => {
        const canvas = el("canvas", { "data-optimizer": opt.name, title: opt.title || opt.name });
        const figure = el("figure", { class: "lab-multiple", "data-optimizer": opt.name, onclick: () => selectOptimizer(opt.name) },
          canvas, el("figcaption", { text: opt.title || opt.name }));
        return figure;
      }));
      for (const figure of multiples.children) {
        const opt = s.land.optimizers.find((o) => o.name === figure.dataset.optimizer);
        const d = defaults(opt), r = path(s.land, runOf(opt, d.li, d.mi));
        const canvas = figure.firstChild, size = plotSize(canvas, s.land.frame, 150);
        const w = Math.min(150, size.width), h = Math.round(w * size.height / size.width);
        const ctx = setup(canvas, w, h), v = view(s.land.frame, 0, 0, w, h);
        drawBackdrop(ctx, s.land, "small", w, h, (c) => drawSurface(c, v, s.land.heat, s.land.contours, s.land.box));
        drawPath(ctx, v, r.pts, r.n - 1, opt.color, 1.6, 1);
        drawMarks(ctx, v, s.land);
        dot(ctx, v.px(r.pts[2 * r.n - 2]), v.py(r.pts[2 * r.n - 1]), 3, opt.color);
      }
    }

    // ---- overlay: the picked optimizers' default runs on one chart
    function defaultPicks(optimizers) {
      const wanted = optimizers.filter((o) => ["gd", "momentum", "adam"].includes(o.name)).map((o) => o.name);
      return new Set(wanted.length ? wanted : optimizers.slice(0, 3).map((o) => o.name));
    }

    function buildPicks() {
      picks.replaceChildren(...s.land.optimizers.map((opt) => {
        const box = el("input", { type: "checkbox", class: "lab-overlay-pick", "data-optimizer": opt.name });
        box.checked = s.picks.has(opt.name);
        box.addEventListener("change", () => { box.checked ? s.picks.add(opt.name) : s.picks.delete(opt.name); drawOverlay(); });
        return el("label", { class: "lab-pick" }, box, el("i", { style: "background:" + opt.color }), opt.title || opt.name);
      }));
    }

    function drawOverlay() {
      const land = s.land, { ctx, v } = landscapeView(overlay, land, 560);
      for (const opt of land.optimizers.filter((o) => s.picks.has(o.name))) {
        const d = defaults(opt), r = path(land, runOf(opt, d.li, d.mi));
        drawPath(ctx, v, r.pts, r.n - 1, opt.color, 2, 0.95);
        dot(ctx, v.px(r.pts[2 * r.n - 2]), v.py(r.pts[2 * r.n - 1]), 3.5, opt.color, "#fff");
      }
      drawMarks(ctx, v, land);
    }

    // ---- stability map: rows are momentum values, columns learning rates
    function buildStability() {
      const opt = s.opt, land = s.land, rows = opt.momentum ? opt.momentum.values : [null];
      const known = land.fmin !== null && land.fmin !== undefined;
      // Colour by iterations to tolerance (few is dark), or by the final loss when the minimum is unknown (it may be
      // negative there, so on a linear scale, as the lab's rate search scores those runs).
      const score = (r) => known ? (r.reached === null || r.reached === undefined ? null : r.reached)
        : (r.status === "diverged" || r.final === null || r.final === undefined ? null : r.final);
      const scores = opt.runs.map(score).filter((v) => v !== null && isFinite(v));
      const lo = Math.min(...scores), hi = Math.max(...scores);
      stability.style.gridTemplateColumns = "auto repeat(" + opt.lrs.length + ", minmax(1.9rem, 1fr))";
      const cells = [el("span", { class: "lab-axis", text: opt.momentum ? opt.momentum.label + " \\ lr" : "lr" })];
      for (const v of opt.lrs) cells.push(el("span", { class: "lab-axis lab-lr-axis", text: fmt(v, 1), title: "lr " + fmt(v) }));
      rows.forEach((m, mi) => {
        cells.push(el("span", { class: "lab-axis", text: m === null ? "" : fmt(m) }));
        opt.lrs.forEach((lrv, li) => {
          const r = runOf(opt, li, mi), sc = score(r);
          const cell = el("button", {
            type: "button", class: "lab-cell", "data-lr": String(lrv), "data-momentum": m === null ? "" : String(m),
            "data-status": r.status, "data-li": li, "data-mi": mi,
            "data-run": land.id + "/" + opt.name + "/" + li + "/" + mi,
            title: "lr " + fmt(lrv) + (m === null ? "" : ", " + opt.momentum.label + " " + fmt(m)) + ": " + status(r, land),
            onclick: () => { s.li = li; s.mi = mi; runChanged(); },
          });
          if (r.status === "diverged") cell.textContent = "✕";
          else if (r.status === "stalled") cell.textContent = "–";
          else if (sc !== null && isFinite(sc)) {
            const t = hi > lo ? (sc - lo) / (hi - lo) : 0;
            cell.style.background = cellColour(t);
            cell.style.color = t < 0.45 ? "#fff" : "#1d1d1f";
            cell.textContent = known ? String(r.reached) : "";
          }
          cells.push(cell);
        });
      });
      stability.replaceChildren(...cells);
      stabilityNote.textContent = known
        ? "Number: iterations to reach f − fmin ≤ " + fmt(land.tolerance) + " (darker is faster); ✕ diverged; – stalled."
        : "Colour: final loss (darker is lower); ✕ diverged.";
    }

    return { show: () => showLandscape(index.landscapes[0]) };
  }

  /** Dark teal (t = 0, the best) to pale yellow-green (t = 1). */
  function cellColour(t) {
    const a = [22, 96, 120], b = [226, 240, 190];
    return "rgb(" + a.map((c, i) => Math.round(c + (b[i] - c) * t)).join(",") + ")";
  }

  function status(r, land) {
    let text;
    if (r.status === "reached") text = "reached the tolerance at step " + r.reached;
    else if (r.status === "diverged") text = "diverged" + (r.at !== null && r.at !== undefined ? " at step " + r.at : "");
    else if (r.status === "stalled") text = "stalled (final loss " + fmt(r.final, 3) + ")";
    else text = "finished (final loss " + fmt(r.final, 3) + ")";
    if (r.status !== "diverged" && r.at !== null && r.at !== undefined) text += "; left the frame at step " + r.at;
    else if (!r.inBox) text += "; left the box";
    return text;
  }

  // ---------------------------------------------------------------- theory

  function Theory(root, th) {
    const s = { li: Math.max(0, nearest(th.lrs, th.default.lr)), mi: Math.max(0, nearest(th.momenta, th.default.momentum)) };
    const heat = heatImage(th.surface), contours = contourSegments(th.surface, th.box, 12);
    const lrLabel = el("span", { class: "lab-value" }), momentumLabel = el("span", { class: "lab-value" });
    const lr = slider("lab-theory-lr", th.lrs.length - 1, s.li, (li) => { s.li = li; draw(); });
    const momentum = slider("lab-theory-momentum", th.momenta.length - 1, s.mi, (mi) => { s.mi = mi; draw(); });
    const pathCanvas = el("canvas", { class: "lab-theory-path", role: "img", "aria-label": "iterates over the quadratic" });
    const errors = el("canvas", { class: "lab-theory-errors", role: "img", "aria-label": "distance to the minimum per direction" });
    const gap = el("p", { class: "lab-theory-gap", "aria-live": "polite" });
    const legend = el("div", { class: "lab-legend" },
      el("span", { class: "lab-key" }, el("b", { class: "lab-dot", style: "background:#1f5fa8" }), "Descent's iterates (dots)"),
      el("span", { class: "lab-key" }, el("i", { style: "background:#1d1d1f" }), "the closed form (lines)"),
      el("span", { class: "lab-key" }, el("i", { class: "lab-dashed" }), "bounds |x₀ᵢ|·rᵢᵗ(1 + |kᵢ|t)"),
      el("span", { class: "lab-key", text: "right: |x_t| in blue, |y_t| in red, log scale, against t" }));
    root.append(
      el("p", { class: "lab-formula", text: [th.title, th.formula].filter(Boolean).join(": ") }),
      el("div", { class: "lab-controls lab-row" },
        el("label", { class: "lab-control" }, el("span", { class: "lab-name", text: "learning rate" }), lr, lrLabel),
        el("label", { class: "lab-control" }, el("span", { class: "lab-name", text: "momentum" }), momentum, momentumLabel)),
      el("div", { class: "lab-main" }, el("div", { class: "lab-focus-pane" }, pathCanvas), el("div", { class: "lab-focus-pane" }, errors)),
      legend, gap);

    function draw() {
      const r = th.runs[s.mi * th.lrs.length + s.li];
      lr.value = s.li; momentum.value = s.mi;
      lrLabel.textContent = "lr = " + fmt(th.lrs[s.li]);
      momentumLabel.textContent = "μ = " + fmt(th.momenta[s.mi]);
      drawPathView(r); drawErrors(r);
      pathCanvas.dataset.run = s.li + "/" + s.mi;
      gap.textContent = "max |Descent − closed form| / |x₀| = " + fmt(r.gap, 2) + " · rates " + r.rates.map((v) => fmt(v, 4)).join(", ")
        + " · spectral radius " + fmt(r.radius, 4) + " (" + r.status + ")";
    }

    function drawPathView(r) {
      const { ctx, v, width, height } = framedView(pathCanvas, th.box, 460);
      drawBackdrop(ctx, th, "framed", width, height, (c) => { drawSurface(c, v, heat, contours, null); drawAxes(c, v); });
      ctx.save(); ctx.beginPath(); ctx.rect(v.left, v.top, v.width, v.height); ctx.clip();
      ctx.strokeStyle = "#1d1d1f"; ctx.lineWidth = 1.2; ctx.beginPath();
      for (let t = 0; 2 * t + 1 < r.theory.length; t++) ctx.lineTo(v.px(r.theory[2 * t]), v.py(r.theory[2 * t + 1]));
      ctx.stroke();
      for (let t = 0; 2 * t + 1 < r.practice.length; t++) dot(ctx, v.px(r.practice[2 * t]), v.py(r.practice[2 * t + 1]), 2.5, "#1f5fa8");
      ctx.restore();
      star(ctx, v.px(0), v.py(0), 6, "#1d1d1f");
    }

    function drawErrors(r) {
      const steps = r.theory.length / 2;
      const series = [0, 1].map((i) => ({
        practice: Array.from({ length: r.practice.length / 2 }, (_, t) => Math.abs(r.practice[2 * t + i])),
        theory: Array.from({ length: steps }, (_, t) => Math.abs(r.theory[2 * t + i])),
        envelope: Array.from({ length: r.envelope.length / 2 }, (_, t) => r.envelope[2 * t + i]),
      }));
      const all = series.flatMap((d) => d.practice.concat(d.theory, d.envelope)).filter((v) => v > 0 && isFinite(v));
      const hi = Math.min(1e300, Math.max(...all, 1e-300)) * 3;
      const lo = Math.max(Math.min(...all), hi * 1e-20) / 3;
      const { ctx, v } = framedView(errors, [0, Math.max(1, steps - 1), lo, hi], 460, true);
      ctx.strokeStyle = "#9aa0a6"; ctx.lineWidth = 1; ctx.strokeRect(v.left, v.top, v.width, v.height);
      drawAxes(ctx, v, true);
      const y = (value) => v.py(Math.min(hi, Math.max(lo, value)));
      ctx.save(); ctx.beginPath(); ctx.rect(v.left, v.top, v.width, v.height); ctx.clip();
      const colours = ["#1f5fa8", "#c0392b"];
      series.forEach((d, i) => {
        const line = (values, dash, width) => {
          ctx.setLineDash(dash); ctx.strokeStyle = colours[i]; ctx.lineWidth = width; ctx.beginPath();
          values.forEach((value, t) => { if (value > 0 && isFinite(value)) ctx.lineTo(v.px(t), y(value)); });
          ctx.stroke(); ctx.setLineDash([]);
        };
        line(d.envelope, [5, 4], 1);
        line(d.theory, [], 1.3);
        d.practice.forEach((value, t) => { if (value > 0 && isFinite(value)) dot(ctx, v.px(t), y(value), 2, colours[i]); });
      });
      ctx.restore();
    }

    draw();
  }

  // ---------------------------------------------------------------- start

  async function main() {
    const explorerRoot = document.getElementById("explorer"), theoryRoot = document.getElementById("theory");
    try {
      if (!document.getElementById("lab-index")) return;
      if (typeof DecompressionStream === "undefined") throw new Error("this browser cannot decompress the data (no DecompressionStream)");
      const index = await readData("lab-index");
      const work = [];
      if (explorerRoot && index.landscapes && index.landscapes.length) work.push(Explorer(explorerRoot, index).show());
      if (theoryRoot && index.theory) work.push(readData(index.theory).then((th) => Theory(theoryRoot, th)));
      await Promise.all(work);
      document.body.dataset.labReady = "1";
    } catch (e) {
      // Shown in the page, so a reader sees why the figure is missing (and a test sees a console error).
      for (const root of [explorerRoot, theoryRoot]) if (root) root.append(el("p", { class: "lab-error", text: "The interactive view failed: " + e.message }));
      console.error(e);
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", main); else main();
})();

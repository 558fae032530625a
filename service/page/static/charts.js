/* The estimator's two inline-SVG charts: monthly cost per model (bars) and one model's price history (steps).
 * Drawn at the container's real pixel size (and redrawn on resize) rather than scaled from a fixed viewBox,
 * so labels stay readable on a 375px phone. Money arrives as decimal strings: it is turned into Number only
 * for geometry; every figure a reader sees as a value is the API's own string. */
"use strict";

window.EstimatorCharts = (() => {
  const SVG = "http://www.w3.org/2000/svg";
  const DAY = 864e5;

  function el(name, attrs, parent, text) {
    const node = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    if (text !== undefined) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }

  function newSvg(container, height, label) {
    const width = Math.max(280, container.clientWidth);
    const svg = el("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": label });
    el("title", {}, svg, label);
    container.replaceChildren(svg);
    return { svg, width };
  }

  // Axis labels only: a tick value is ours, not the API's, so plain number formatting is fine here.
  function tickLabel(value) {
    if (value >= 1000) return "$" + value.toLocaleString("en-US");
    return "$" + Number(value.toPrecision(6));
  }

  function niceTicks(max, count) {
    const raw = max / Math.max(1, count);
    const power = 10 ** Math.floor(Math.log10(raw));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw);
    const ticks = [];
    for (let v = 0; v <= max * (1 + 1e-9) + step * 0.999; v += step) ticks.push(Number(v.toPrecision(12)));
    return ticks;
  }

  /* Bars: one band per model, the name and the exact amount above a bar. Log scale spans whole decades. */
  function drawBars(container, items, options) {
    const log = Boolean(options && options.log);
    const axis = 22;
    // The CSS height fits six models; a larger catalog makes the chart taller rather than cramped.
    const height = Math.max(container.clientHeight, items.length * 32 + axis + 4);
    if (height > container.clientHeight) container.style.height = height + "px";
    const band = Math.min(48, (height - axis - 4) / Math.max(1, items.length));
    const barHeight = Math.round(band - 22);
    const values = items.map((item) => (item.value == null ? null : Number(item.value)));
    const summary = items.map((item) => `${item.label} ${item.value == null ? item.note : "$" + item.value}`);
    const { svg, width } = newSvg(container, height,
      `Monthly cost per model, ${log ? "log" : "linear"} scale: ${summary.join("; ")}`);
    const known = values.filter((v) => v != null);
    if (!known.length) {
      el("text", { x: 0, y: 20, class: "empty" }, svg, items.length ? "Waiting for monthly costs…" : "No models");
      return;
    }
    const plotWidth = width - 12;
    const top = Math.max(...known);
    let x;
    let ticks;
    if (log) {
      const positive = known.filter((v) => v > 0);
      const lo = 10 ** Math.floor(Math.log10(positive.length ? Math.min(...positive) : 1));
      const hi = Math.max(lo * 10, 10 ** Math.ceil(Math.log10(Math.max(top, lo))));
      x = (v) => (v <= lo ? 0 : ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * plotWidth);
      ticks = [];
      for (let t = lo; t <= hi * 1.0001; t *= 10) ticks.push(t);
    } else {
      ticks = niceTicks(top || 1, Math.max(2, Math.floor(width / 110)));
      const hi = ticks[ticks.length - 1];
      x = (v) => (v / hi) * plotWidth;
    }
    const axisY = items.length * band + 4;
    const grid = el("g", { class: "axis" }, svg);
    for (const t of ticks) {
      const tx = Math.round(x(t)) + 0.5;
      el("line", { x1: tx, x2: tx, y1: 0, y2: axisY, class: "grid" }, grid);
      const anchor = tx < 20 ? "start" : tx > width - 30 ? "end" : "middle";
      el("text", { x: tx, y: axisY + 15, "text-anchor": anchor }, grid, tickLabel(t));
    }
    items.forEach((item, i) => {
      const y = i * band;
      const label = el("text", { x: 0, y: y + 13 }, svg);
      el("tspan", { "font-weight": item.baseline ? "700" : "400" }, label, item.label + "  ");
      if (item.value == null) el("tspan", { class: "none" }, label, item.note);
      else el("tspan", {}, label, "$" + item.value);
      if (item.value != null) {
        el("rect", { x: 0, y: y + 17, height: barHeight, rx: 2, width: Math.max(1, x(values[i])),
          class: item.baseline ? "bar baseline" : "bar" }, svg);
      }
    });
  }

  function timeTicks(t0, t1, width) {
    const most = Math.max(2, Math.floor(width / 80));
    const days = (t1 - t0) / DAY;
    const step = [1, 2, 7, 14].find((d) => days / d <= most);
    const ticks = [];
    if (step) {
      for (let t = Math.ceil(t0 / DAY) * DAY; t <= t1; t += step * DAY) ticks.push(t);
      return { ticks, format: { month: "short", day: "numeric", timeZone: "UTC" } };
    }
    const months = [1, 2, 3, 6, 12, 24, 60].find((m) => days / (30.44 * m) <= most) || 120;
    const d = new Date(t0);
    let cursor = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    while (cursor <= t1) {
      const m = new Date(cursor);
      if ((m.getUTCFullYear() * 12 + m.getUTCMonth()) % months === 0) ticks.push(cursor);
      cursor = Date.UTC(m.getUTCFullYear(), m.getUTCMonth() + 1, 1);
    }
    return { ticks, format: { month: "short", year: "numeric", timeZone: "UTC" } };
  }

  // The time span to show: every price change, promotion and the chosen date, with some room after the last.
  function timeDomain(prices, promotions, marker) {
    const instants = [];
    for (const p of [...prices, ...promotions]) {
      instants.push(Date.parse(p.valid_from));
      if (p.valid_to) instants.push(Date.parse(p.valid_to));
    }
    if (marker) instants.push(marker.from, marker.to);
    const t0 = Math.min(...instants);
    const last = Math.max(...instants);
    return [t0 - 2 * DAY, last + Math.max(14 * DAY, (last - t0) * 0.15)];
  }

  function stepPath(prices, field, x, y, end) {
    let d = "";
    let previousTo = null;
    for (const p of prices) {
      const from = x(Date.parse(p.valid_from));
      const to = x(p.valid_to ? Date.parse(p.valid_to) : end);
      const level = y(Number(p[field])).toFixed(1);
      // Contiguous periods join with a vertical step; a gap in the history stays a gap.
      d += `${previousTo === p.valid_from ? "L" : "M"}${from.toFixed(1)} ${level}L${to.toFixed(1)} ${level}`;
      previousTo = p.valid_to;
    }
    return d;
  }

  // The price a promotion leaves, where it overlaps each price period: dashed, so the shaded span reads right.
  function discountedPath(prices, promotions, field, x, y, end) {
    let d = "";
    for (const promo of promotions) {
      const promoFrom = Date.parse(promo.valid_from);
      const promoTo = promo.valid_to ? Date.parse(promo.valid_to) : end;
      for (const p of prices) {
        const from = Math.max(promoFrom, Date.parse(p.valid_from));
        const to = Math.min(promoTo, p.valid_to ? Date.parse(p.valid_to) : end);
        if (from >= to) continue;
        const level = y(Number(p[field]) * (1 - Number(promo.percent_off) / 100)).toFixed(1);
        d += `M${x(from).toFixed(1)} ${level}L${x(to).toFixed(1)} ${level}`;
      }
    }
    return d;
  }

  /* Steps: input and output list price per 1M tokens over time; promotions shaded; the chosen date marked.
   * `marker` is {from, to} in ms (to === from for a single date, the month's span otherwise). */
  function drawHistory(container, history, marker) {
    const { model, prices, promotions } = history;
    const height = container.clientHeight || 260;
    const periods = prices.map((p) =>
      `from ${p.valid_from.slice(0, 10)} input $${p.input_per_mtok}, output $${p.output_per_mtok}`);
    const { svg, width } = newSvg(container, height,
      `Price history of ${model}: ${periods.length ? periods.join("; ") : "no prices recorded"}`);
    if (!prices.length) {
      el("text", { x: 8, y: 24, class: "empty" }, svg, "No prices recorded for this model.");
      return;
    }
    const m = { left: 52, right: 10, top: 10, bottom: 24 };
    const [t0, t1] = timeDomain(prices, promotions, marker);
    const plotW = width - m.left - m.right;
    const plotH = height - m.top - m.bottom;
    const x = (t) => m.left + ((Math.min(Math.max(t, t0), t1) - t0) / (t1 - t0)) * plotW;
    // Some headroom above the highest price, so its line never sits on the plot's top edge.
    const top = Math.max(...prices.map((p) => Math.max(Number(p.input_per_mtok), Number(p.output_per_mtok))));
    const yTicks = niceTicks(1.08 * top || 1, 4);
    const yMax = yTicks[yTicks.length - 1];
    const y = (v) => m.top + plotH - (v / yMax) * plotH;

    const axis = el("g", { class: "axis" }, svg);
    for (const t of yTicks) {
      el("line", { x1: m.left, x2: width - m.right, y1: y(t), y2: y(t), class: "grid" }, axis);
      el("text", { x: m.left - 6, y: y(t) + 4, "text-anchor": "end" }, axis, tickLabel(t));
    }
    const { ticks, format } = timeTicks(t0, t1, plotW);
    for (const t of ticks) {
      el("line", { x1: x(t), x2: x(t), y1: m.top + plotH, y2: m.top + plotH + 4, class: "grid" }, axis);
      el("text", { x: x(t), y: height - 6, "text-anchor": "middle" }, axis,
        new Date(t).toLocaleDateString("en-US", format));
    }
    for (const promo of promotions) {
      const from = x(Date.parse(promo.valid_from));
      const to = x(promo.valid_to ? Date.parse(promo.valid_to) : t1);
      const rect = el("rect", { x: from, y: m.top, width: Math.max(1, to - from), height: plotH, class: "promo" }, svg);
      el("title", {}, rect, `${promo.name}: ${promo.percent_off}% off`);
      if (to - from > 30) {
        el("text", { x: from + 3, y: m.top + 12, class: "promo-label" }, svg, `−${promo.percent_off}%`);
      }
    }
    // Corrected stretches: the reason shows on hover (title) and, for the keyboard, on focus (the label after it).
    for (const fix of history.corrections || []) {
      const from = x(Date.parse(fix.valid_from));
      const to = x(fix.valid_to ? Date.parse(fix.valid_to) : t1);
      const said = `Corrected ${fix.valid_from.slice(0, 10)} to ${fix.valid_to ? fix.valid_to.slice(0, 10) : "now"}: `
        + fix.reason;
      const rect = el("rect", { x: from, y: m.top, width: Math.max(2, to - from), height: plotH, class: "corrected",
        tabindex: 0, role: "img", "aria-label": said, "data-correction": fix.id }, svg);
      el("title", {}, rect, said);
      el("text", { x: Math.min(from + 3, width - m.right - 150), y: m.top + plotH - 6, class: "corrected-label" },
        svg, fix.reason);
    }
    if (marker && marker.to > marker.from) {
      const from = x(marker.from);
      el("rect", { x: from, y: m.top, width: x(marker.to) - from, height: plotH, class: "at-band" }, svg);
    } else if (marker) {
      el("line", { x1: x(marker.from), x2: x(marker.from), y1: m.top, y2: m.top + plotH, class: "at-marker" }, svg);
    }
    for (const field of ["input_per_mtok", "output_per_mtok"]) {
      const kind = field.split("_")[0];
      el("path", { d: stepPath(prices, field, x, y, t1), fill: "none", "stroke-width": 2.5,
        class: `line-${kind}`, "data-series": kind }, svg);
      el("path", { d: discountedPath(prices, promotions, field, x, y, t1), fill: "none", "stroke-width": 2,
        class: `line-${kind} promo-effective` }, svg);
    }
  }

  return { drawBars, drawHistory };
})();

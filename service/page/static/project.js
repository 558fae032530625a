/* The project tab: reads the form (and the URL, so a view can be shared), asks POST /v1/estimate/project for the
 * article's six models and the chosen strategies, and draws each plan's low-to-high cost, cheapest first, with the
 * hybrid and self-host plans beside the single models. Money is shown exactly as the API sends it; Number() is
 * used only to draw. An API error is an RFC 9457 problem whose fields are shown. */
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const make = (tag, props) => Object.assign(document.createElement(tag), props);
  const SVG = "http://www.w3.org/2000/svg";
  const MODELS = ["deepseek-v4-flash", "deepseek-v4-pro", "gpt-4.1", "claude-sonnet-4.6", "claude-opus-4.7", "gpt-5.5"];
  const DEFAULTS = { size: "medium", features: "40", tooling: "ide-assistant", strategy: "both", at: "2026-05-10" };
  const FIELDS = Object.keys(DEFAULTS);
  const STRATEGIES = {
    hybrid: [{ kind: "hybrid", draft: "deepseek-v4-flash", review: "claude-opus-4.7" }],
    "self-host": [{ kind: "self-host", profile: "a100-node" }],
  };
  STRATEGIES.both = [...STRATEGIES.hybrid, ...STRATEGIES["self-host"]];
  let asked = 0; // answers to older requests are dropped

  function stateFromUrl() {
    const query = new URLSearchParams(location.search);
    const state = { ...DEFAULTS };
    for (const key of FIELDS) if (query.has(key)) state[key] = query.get(key);
    return state;
  }

  function ensureOption(select, value) {
    if (select.tagName === "SELECT" && value && ![...select.options].some((o) => o.value === value)) {
      select.append(make("option", { value, textContent: value }));
    }
  }

  function fillForm(state) {
    for (const key of FIELDS) {
      const input = $(key === "at" ? "project-at" : key);
      ensureOption(input, state[key]);
      input.value = state[key];
    }
  }

  function readForm() {
    const state = {};
    for (const key of FIELDS) state[key] = $(key === "at" ? "project-at" : key).value.trim();
    return state;
  }

  function writeUrl(state) {
    history.replaceState(null, "", `${location.pathname}?${new URLSearchParams(state)}`);
  }

  function body(state) {
    // The count is sent as typed: the API says what is wrong with it, field by field.
    const features = /^-?[0-9]+$/.test(state.features) ? Number(state.features) : state.features;
    return { project: { size: state.size, features, tooling: state.tooling }, models: MODELS,
      at: state.at || undefined, strategies: STRATEGIES[state.strategy] || [] };
  }

  async function update() {
    const state = readForm();
    writeUrl(state);
    const ticket = ++asked;
    $("project-summary").textContent = "Pricing…";
    let response, answer;
    try {
      response = await fetch("/v1/estimate/project", { method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify(body(state)) });
      answer = await response.json();
    } catch (error) {
      if (ticket === asked) showProblem({ detail: `the service cannot be reached (${error.message})` });
      return;
    }
    if (ticket !== asked) return;
    if (!response.ok) { showProblem(answer); return; }
    $("project-alert").hidden = true;
    render(answer);
  }

  function showProblem(problem) {
    const alert = $("project-alert");
    alert.replaceChildren(make("p", { textContent: problem.detail || "the estimate failed" }));
    for (const error of problem.errors || []) alert.append(make("p", { textContent: `${error.field}: ${error.message}` }));
    alert.hidden = false;
    $("project-summary").textContent = "No estimate: see above.";
    $("plan-chart").replaceChildren();
    $("plans").tBodies[0].replaceChildren();
  }

  const dollars = (text) => `$${text}`;

  function render(answer) {
    const plans = answer.plans;
    const cheapest = plans[0];
    $("project-summary").textContent = `${answer.project.features} features (${Object.entries(answer.project.mix)
      .map(([name, share]) => `${name} ${share}`).join(", ")}), ${answer.project.tooling}: cheapest plan ` +
      `${cheapest.plan} at ${dollars(cheapest.cost.expected)} expected.`;
    drawChart(plans);
    const rows = plans.map((plan) => {
      const row = make("tr", {});
      row.dataset.plan = plan.plan;
      row.dataset.kind = plan.kind;
      row.append(make("th", { scope: "row", className: "text", textContent: plan.plan }));
      for (const bound of ["low", "expected", "high"]) {
        const cell = make("td", { textContent: dollars(plan.cost[bound]) });
        cell.dataset.col = bound;
        cell.dataset.value = plan.cost[bound];
        row.append(cell);
      }
      row.append(make("td", { textContent: plan.times_baseline === null ? "–" : `${plan.times_baseline}×` }));
      return row;
    });
    $("plans").tBodies[0].replaceChildren(...rows);
    $("assumptions").replaceChildren(...answer.assumptions.map((item) => make("li", {
      textContent: `${item.kind} ${item.key} (version ${item.version}, ${item.assumed ? "assumption" : "from the source"}): ${item.source}`,
    })));
  }

  // A log scale: plans differ by two or three orders of magnitude (the article's 37×), and a linear one would
  // flatten the cheap plans to nothing.
  function drawChart(plans) {
    const values = plans.flatMap((p) => [Number(p.cost.low), Number(p.cost.high)]).filter((v) => v > 0);
    const low = Math.log10(Math.min(...values) / 1.5), high = Math.log10(Math.max(...values) * 1.5);
    const x = (v) => (v > 0 ? ((Math.log10(v) - low) / (high - low)) * 1000 : 0);
    $("plan-chart").replaceChildren(...plans.map((plan) => {
      const row = make("div", { className: "plan-row" });
      row.dataset.kind = plan.kind;
      row.dataset.plan = plan.plan;
      const name = make("div", { className: "name", textContent: `${plan.plan} ` });
      name.append(make("span", { className: "kind", textContent: `${dollars(plan.cost.low)}–${dollars(plan.cost.high)}` }));
      const svg = document.createElementNS(SVG, "svg");
      svg.setAttribute("viewBox", "0 0 1000 22");
      svg.setAttribute("preserveAspectRatio", "none");
      svg.setAttribute("role", "img");
      svg.setAttribute("aria-label", `${plan.plan}: ${dollars(plan.cost.low)} to ${dollars(plan.cost.high)}, expected ${dollars(plan.cost.expected)}`);
      const from = x(Number(plan.cost.low)), to = x(Number(plan.cost.high)), mid = x(Number(plan.cost.expected));
      svg.append(rect("range", from, 4, Math.max(to - from, 4), 14), rect("expected", mid - 3, 1, 6, 20));
      row.append(name, svg);
      return row;
    }));
  }

  function rect(className, left, top, width, height) {
    const shape = document.createElementNS(SVG, "rect");
    for (const [key, value] of Object.entries({ class: className, x: left, y: top, width, height })) shape.setAttribute(key, value);
    return shape;
  }

  document.addEventListener("DOMContentLoaded", () => {
    fillForm(stateFromUrl());
    $("project-form").addEventListener("input", update);
    $("project-form").addEventListener("change", update);
    $("project-form").addEventListener("submit", (event) => { event.preventDefault(); update(); });
    update();
  });
})();

/* The estimator page: reads the inputs (and the URL, so a view can be shared), asks the public v1 API for one
 * page of models (/v1/models, searched and filtered by the server), their per-session costs (/v1/estimate/compare)
 * and their monthly costs (/v1/estimate/monthly/models, one call for the page), and renders the table and charts.
 * A catalog of any size costs the same few requests: only the models shown are ever fetched or priced. A request
 * time, a batch or service-tier variant and a spread over the day are sent only when chosen, so without them every
 * request is the one it always was. Money values are the API's decimal strings, shown exactly as they arrive;
 * Number() is used only to sort and to draw. Every API error is an RFC 9457 problem whose `detail` is shown.
 *
 * Three scripts make the page, run in this order: this one keeps the state (the inputs and the URL) and starts
 * the page; estimator-render.js draws the table, the charts and the alert, and puts prices and their rules into
 * words; estimator-requests.js makes the API calls. They share one object, window.Estimator, made here: the
 * state below and the helpers the others need, to which the other two add `render` and `requests`. */
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  // Elements are made with textContent only: model names come from the catalog and are never parsed as HTML.
  const make = (tag, props) => Object.assign(document.createElement(tag), props);
  const DEFAULTS = { in: "50000", out: "20000", cache: "0", retry: "1", spm: "1000", at: "2026-05-10",
    month: "", baseline: "deepseek-v4-flash", mode: "at", hist: "", log: false,
    requested: "", processing: "standard", tier: "standard", spread: "uniform", known_at: "" };
  // The pricing-rule inputs: in the URL only when not the default, so links made before them stay the same.
  const RULE_FIELDS = ["requested", "processing", "tier", "spread"];
  // known_at: every answer as the catalog said at that record time (docs/history.md); empty, today's knowledge.
  const FIELDS = ["in", "out", "cache", "retry", "spm", "at", "month", "baseline", ...RULE_FIELDS, "known_at"];
  const COLUMNS = ["model", "per_session", "monthly", "input_ratio", "output_ratio", "total_ratio", "rates"];

  const names = new Map(); // model id -> display name, from the catalog
  const nameOf = (id) => names.get(id) || id;
  // The one object the page's scripts share; nothing else in this file is visible to them.
  const Estimator = window.Estimator = {
    $, make, names, nameOf, ensureOption, readForm, writeUrl, markPreset,
    models: [], // the models shown: the page's ids, and the baseline when it is not among them; one row each
    // Which page of the catalog is shown: the search, the provider, and the page's cursor. `back` holds the
    // cursors of the pages before it (the first page's is null), so Previous needs no request to find its way.
    // `size` models a page: one compare and one monthly request price them all.
    list: { q: "", provider: "", cursor: null, page: 1, back: [], size: 50, ids: [], next: null, loaded: false },
    sort: { key: "per_session", order: "asc" }, // the API's own order: cheapest first
    // What the table shows: the last compare answer (and the variant and cache share it was asked with) and the
    // monthly result per model ({total, periods} or {missing, note}); the record time the answers were priced as
    // known at (null: today's knowledge), and the corrections they name, by id.
    view: { rows: null, at: null, variant: null, cached: false, monthly: new Map(), knownAt: null,
      corrections: new Map() },
    problems: { catalog: [], providers: [], estimate: [], history: [] }, // shown together in the alert region
  };

  /* ---- state: form <-> URL ---- */

  function stateFromUrl() {
    const query = new URLSearchParams(location.search);
    const state = { ...DEFAULTS };
    for (const key of FIELDS) if (query.has(key)) state[key] = query.get(key);
    if (query.has("month") && !query.has("at")) state.mode = "month";
    state.month = state.month || state.at.slice(0, 7);
    state.hist = query.get("hist") || "";
    state.log = query.get("log") === "1";
    const { list } = Estimator;
    list.q = (query.get("q") || "").trim();
    list.provider = query.get("provider") || "";
    const page = Number(query.get("page"));
    if (query.get("cursor") && Number.isInteger(page) && page > 1) {
      list.cursor = query.get("cursor");
      list.page = page;
      // A reload keeps the way back; a shared link has none, and its Previous goes to the first page.
      const back = history.state && history.state.back;
      list.back = Array.isArray(back) && back.length === page - 1 ? back : [];
    }
    if (COLUMNS.includes(query.get("sort"))) {
      Estimator.sort = { key: query.get("sort"), order: query.get("order") === "desc" ? "desc" : "asc" };
    }
    return state;
  }

  function fillForm(state) {
    for (const key of FIELDS) if (key !== "baseline") $(key).value = state[key];
    ensureOption($("baseline"), state.baseline);
    $("baseline").value = state.baseline;
    ensureOption($("history-model"), state.hist);
    $("history-model").value = state.hist;
    $(state.mode === "month" ? "mode-month" : "mode-at").checked = true;
    $("log").checked = state.log;
    $("q").value = Estimator.list.q;
    ensureOption($("provider"), Estimator.list.provider);
    $("provider").value = Estimator.list.provider;
    syncWhen();
  }

  function readForm() {
    const state = {};
    for (const key of FIELDS) state[key] = $(key).value.trim();
    // A select given an unknown value by a URL has no option chosen and reads "": that means the default.
    for (const key of RULE_FIELDS) state[key] = state[key] || DEFAULTS[key];
    state.mode = $("mode-month").checked ? "month" : "at";
    state.hist = $("history-model").value;
    state.log = $("log").checked;
    return state;
  }

  function writeUrl(state) {
    const { in: input, out, cache, retry, spm } = state;
    const query = new URLSearchParams({ in: input, out, cache, retry, spm });
    if (state.mode === "month") query.set("month", state.month);
    else query.set("at", state.at);
    query.set("baseline", state.baseline);
    for (const key of RULE_FIELDS) if (state[key] !== DEFAULTS[key]) query.set(key, state[key]);
    if (state.known_at) query.set("known_at", state.known_at); // like the rules: only when chosen
    if (state.hist) query.set("hist", state.hist);
    if (state.log) query.set("log", "1");
    const { sort, list } = Estimator;
    if (sort.key !== "per_session" || sort.order !== "asc") {
      query.set("sort", sort.key);
      query.set("order", sort.order);
    }
    // The view: in the URL only when it is not the first page of every model, like the rule settings above.
    if (list.q) query.set("q", list.q);
    if (list.provider) query.set("provider", list.provider);
    if (list.cursor) {
      query.set("page", String(list.page));
      query.set("cursor", list.cursor);
    }
    history.replaceState({ back: list.back }, "", `${location.pathname}?${query}`);
  }

  // Only the input that matches the chosen mode is live; switching to a month starts from the date's month.
  function syncWhen() {
    const month = $("mode-month").checked;
    $("at").disabled = month;
    $("month").disabled = !month;
    $("spread").disabled = !month; // the API spreads sessions over the day only across a calendar month
    if (month && !$("month").value && $("at").value) $("month").value = $("at").value.slice(0, 7);
  }

  function ensureOption(select, value) {
    if (value && ![...select.options].some((o) => o.value === value)) select.add(new Option(value, value));
  }

  /* ---- presets and wiring ---- */

  function markPreset(state) {
    for (const button of document.querySelectorAll(".presets button")) {
      const { dataset } = button;
      const match = dataset.in === state.in && dataset.out === state.out
        && Number(dataset.cache) === Number(state.cache || 0);
      button.setAttribute("aria-pressed", String(match));
    }
  }

  function start() {
    const { render, requests } = Estimator;
    fillForm(stateFromUrl());
    render.markSort();
    requests.begin();
    const form = $("inputs");
    form.addEventListener("input", requests.schedule);
    // Typing fires "input"; "change" would repeat it on blur, so it only matters for the date/month switch.
    form.addEventListener("change", (event) => {
      if (event.target.name !== "mode") return;
      syncWhen();
      requests.schedule();
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      requests.update();
    });
    for (const button of document.querySelectorAll(".presets button")) {
      button.addEventListener("click", () => {
        $("in").value = button.dataset.in;
        $("out").value = button.dataset.out;
        $("cache").value = button.dataset.cache;
        requests.update();
      });
    }
    for (const th of $("results").tHead.rows[0].cells) {
      th.querySelector("button").addEventListener("click", () => render.sortBy(th.dataset.key));
    }
    $("log").addEventListener("change", () => {
      writeUrl(readForm());
      render.drawBars();
    });
    // The search asks the server as one types (debounced); a provider or a page is asked for at once.
    $("q").addEventListener("input", requests.searchSoon);
    $("provider").addEventListener("change", requests.search);
    $("find").addEventListener("submit", (event) => {
      event.preventDefault();
      requests.search();
    });
    $("next-page").addEventListener("click", requests.nextPage);
    $("prev-page").addEventListener("click", requests.previousPage);
    $("history-model").addEventListener("change", () => {
      const state = readForm();
      writeUrl(state);
      requests.updateHistory(state);
    });
    let resizeTimer = null;
    window.addEventListener("resize", () => {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(() => {
        if (Estimator.view.rows || Estimator.view.monthly.size) render.drawBars();
        render.drawHistory();
      }, 150);
    });
  }

  // The other two scripts run after this one (deferred, in order) and before DOMContentLoaded: start then.
  document.addEventListener("DOMContentLoaded", start);
})();

/* The estimator page's API calls: the estimates, the model list and a model's price history, each answer kept in
 * the state and drawn by estimator-render.js. Adds `requests` to window.Estimator (see estimator.js). */
"use strict";

(() => {
  const { $, names, nameOf, ensureOption, readForm, writeUrl, markPreset, view, problems } = Estimator;
  const { renderTable, renderSoon, setBusy, showProblems, showHistory, drawHistory, variantOf } = Estimator.render;
  const DEBOUNCE_MS = 250;

  let generation = 0; // answers to an older set of inputs are dropped, and their requests aborted
  let controller = null;
  let timer = null;
  let historyGeneration = 0;
  const historyCache = new Map(); // model id -> promise of {model, prices, promotions}
  let catalogReady;

  // The page decides by a problem's `type` (and `errors[].pointer`), never by the wording of its `detail`.
  class Problem extends Error {
    constructor(status, detail, type = "about:blank", errors = []) {
      super(detail);
      this.status = status;
      this.detail = detail;
      this.type = type;
      this.errors = errors;
    }
  }

  async function api(path, body, signal) {
    const init = body === undefined
      ? { signal, headers: { accept: "application/json" } }
      : { method: "POST", signal, body: JSON.stringify(body),
        headers: { "content-type": "application/json", accept: "application/json" } };
    let response;
    try {
      response = await fetch(path, init);
    } catch (error) {
      if (error.name === "AbortError") throw error;
      throw new Problem(0, `The service could not be reached (${error.message}).`);
    }
    let data = null;
    try {
      data = await response.json();
    } catch {
      // not JSON: the status line below says what happened
    }
    if (!response.ok) {
      throw new Problem(response.status, (data && (data.detail || data.title)) || `HTTP ${response.status}`,
        (data && data.type) || "about:blank", (data && data.errors) || []);
    }
    return data;
  }

  // A whole list, following next_cursor page by page.
  async function allPages(path, signal) {
    const items = [];
    let cursor = null;
    do {
      const after = cursor ? "&cursor=" + encodeURIComponent(cursor) : "";
      const page = await api(`${path}${path.includes("?") ? "&" : "?"}limit=500${after}`, undefined, signal);
      items.push(...page.data);
      cursor = page.next_cursor;
    } while (cursor);
    return items;
  }

  /* ---- requests ---- */

  // A number field whose text is not a number reads as "" in the browser, which the API could only answer with
  // a type error: say which field needs what instead. Ranges and everything else are the API's to judge.
  function wholeNumber(raw, what) {
    if (!/^\d{1,15}$/.test(raw)) throw new Problem(0, `${what} must be a whole number.`);
    return Number(raw);
  }

  function requestOf(state) {
    const input = wholeNumber(state.in, "Input tokens per session");
    const share = Number(state.cache || "0");
    if (!(share >= 0 && share <= 1)) throw new Problem(0, "The cache-hit share must be a number from 0 to 1.");
    if (!state[state.mode]) throw new Problem(0, `Choose a ${state.mode === "month" ? "month" : "date"}.`);
    const usage = { input_tokens: input, output_tokens: wholeNumber(state.out, "Output tokens per session"),
      cached_input_tokens: Math.round(input * share), retry_factor: state.retry };
    return { usage, sessions: wholeNumber(state.spm, "Sessions per month"), ...rulesOf(state) };
  }

  // The request time and the variant, as the API's fields; only what differs from the API's defaults is sent.
  function rulesOf(state) {
    const variant = {};
    if (state.processing !== "standard") variant.processing = state.processing;
    if (state.tier !== "standard") variant.service_tier = state.tier;
    // datetime-local has no zone: the label says UTC, and RFC 3339 wants the seconds the browser may leave out.
    const requested = state.requested
      ? (state.requested.length === 16 ? state.requested + ":00" : state.requested) + "Z" : null;
    return { requestedAt: requested, variant };
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(update, DEBOUNCE_MS);
  }

  function update() {
    clearTimeout(timer);
    const state = readForm();
    writeUrl(state);
    markPreset(state);
    updateHistory(state);
    const gen = ++generation;
    if (controller) controller.abort();
    controller = new AbortController();
    const signal = controller.signal;
    problems.estimate = [];
    let usage;
    let sessions;
    let requestedAt;
    let variant;
    try {
      ({ usage, sessions, requestedAt, variant } = requestOf(state));
    } catch (problem) {
      return failed(gen, problem);
    }
    setBusy(true);
    // With a month, per-session costs and ratios are those of the month's first instant.
    const at = state.mode === "month" ? `${state.month}-01` : state.at;
    const requested = requestedAt ? { requested_at: requestedAt } : {};
    // The monthly API prices a date's sessions at one instant, which picks both the price and the time window:
    // with a request time that instant is the request time, so the month agrees with the per-session cost.
    const spread = state.spread === "office" ? { distribution: { kind: "office_hours", timezone: "UTC" } } : {};
    const when = state.mode === "month" ? { month: state.month, ...spread } : { at: requestedAt || state.at };
    const asked = variantOf(state);
    const compare = api("/v1/estimate/compare",
      { baseline: state.baseline, ...usage, at, ...requested, ...variant }, signal)
      .then((body) => {
        if (gen !== generation) return;
        view.rows = body.rows;
        view.at = body.at;
        view.variant = asked;
        view.cached = usage.cached_input_tokens > 0;
        renderTable();
      })
      .catch((error) => failed(gen, error));
    const monthly = catalogReady.then(() => Promise.all(Estimator.models.map((model) =>
      api("/v1/estimate/monthly", { model, ...usage, sessions_per_month: sessions, ...variant, ...when }, signal)
        .then((body) => gen === generation && view.monthly.set(model, body))
        // A model without a price for (part of) the period, or without the variant asked for, is a fact to show
        // in its cell, not a page error.
        .catch((error) => {
          if (gen !== generation) return;
          const missing = error.detail;
          if (error.type === "/problems/no-price-at-instant") {
            view.monthly.set(model, { missing, note: "no price for the whole period" });
          } else if (lacksVariant(error)) view.monthly.set(model, { missing, note: `no ${asked} rate` });
          else failed(gen, error);
        })
        .then(() => gen === generation && renderSoon()))));
    Promise.all([compare, monthly]).then(() => {
      if (gen !== generation) return;
      setBusy(false);
      renderTable();
      showProblems();
    });
  }

  // A model whose price does not offer the variant asked for is a fact about that model (its own request named
  // it); any other 422, such as batch with a service tier, is about the request, and is the page's problem to show.
  const lacksVariant = (error) => error.type === "/problems/variant-not-offered";

  function failed(gen, error) {
    if (gen !== generation || error.name === "AbortError") return;
    const detail = error instanceof Problem ? error.detail : String(error);
    if (!problems.estimate.includes(detail)) problems.estimate.push(detail);
    setBusy(false);
    showProblems();
  }

  /* ---- price history and catalog ---- */

  function loadHistory(id) {
    if (!historyCache.has(id)) {
      const path = encodeURIComponent(id);
      const promise = Promise.all([allPages(`/v1/models/${path}/prices`), allPages(`/v1/promotions?model=${path}`)])
        .then(([prices, promotions]) => ({ id, prices, promotions }));
      promise.catch(() => historyCache.delete(id)); // a failure is not remembered: the next change retries
      historyCache.set(id, promise);
    }
    return historyCache.get(id);
  }

  async function updateHistory(state) {
    const gen = ++historyGeneration;
    const id = state.hist || state.baseline;
    try {
      const data = await loadHistory(id);
      if (gen !== historyGeneration) return;
      problems.history = [];
      showHistory(data, state);
    } catch (error) {
      if (gen !== historyGeneration) return;
      problems.history = [error.detail || String(error)];
    }
    showProblems();
  }

  async function loadCatalog() {
    try {
      const list = await allPages("/v1/models");
      Estimator.models = list.map((m) => m.id);
      for (const m of list) names.set(m.id, m.name);
    } catch (error) {
      problems.catalog = [`The model list could not be loaded: ${error.detail || error}`];
    }
    for (const select of [$("baseline"), $("history-model")]) {
      const chosen = select.value;
      for (const id of Estimator.models) ensureOption(select, id);
      for (const option of select.options) if (option.value) option.textContent = nameOf(option.value);
      select.value = chosen;
    }
    renderTable();
    drawHistory();
  }

  // The model list first (the monthly calls wait for its ids), then the first estimates.
  function begin() {
    catalogReady = loadCatalog();
    update();
  }

  Estimator.requests = { begin, schedule, update, updateHistory };
})();

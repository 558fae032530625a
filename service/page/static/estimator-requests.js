/* The estimator page's API calls: one page of the model list, the estimates for the models it shows, the
 * providers to filter by, and a model's price history, each answer kept in the state and drawn by
 * estimator-render.js. Adds `requests` to window.Estimator (see estimator.js). */
"use strict";

(() => {
  const { $, names, nameOf, ensureOption, readForm, writeUrl, markPreset, view, problems, list } = Estimator;
  const { renderTable, renderSoon, setBusy, showProblems, showHistory, drawHistory, variantOf, showPager, showAsOf } =
    Estimator.render;
  const DEBOUNCE_MS = 250;
  const MAX_PROVIDERS = 2000; // the provider filter's list stops there (four pages of 500)
  // A model that has no price at the instant, or not the variant asked for, or is gone: the compare request
  // names it only in words, so the page asks each model shown on its own (see compareShown).
  const PRICE_GAPS = new Set(
    ["/problems/no-price-at-instant", "/problems/variant-not-offered", "/problems/not-found"]);

  let generation = 0; // answers to an older set of inputs are dropped, and their requests aborted
  let controller = null;
  let timer = null;
  let historyGeneration = 0;
  const historyCache = new Map(); // model id -> promise of {model, prices, promotions, corrections}
  let pageReady = Promise.resolve();
  let pageGeneration = 0;
  let pageController = null;
  let searchTimer = null;

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

  // A list, following next_cursor page by page; short lists only (a model's prices, the providers), up to `most`.
  async function allPages(path, signal, most = Infinity) {
    const items = [];
    let cursor = null;
    do {
      const after = cursor ? "&cursor=" + encodeURIComponent(cursor) : "";
      const page = await api(`${path}${path.includes("?") ? "&" : "?"}limit=500${after}`, undefined, signal);
      items.push(...page.data);
      cursor = page.next_cursor;
    } while (cursor && items.length < most);
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
      updateHistory(state);
      failed(gen, problem);
      return Promise.resolve();
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
    // As known at: sent with every request that prices, so every figure is the catalog's of then.
    const asOf = state.known_at ? { known_at: state.known_at } : {};
    view.knownAt = null;
    view.corrections.clear();
    showAsOf(state);
    const session = { ...usage, at, ...requested, ...variant, ...asOf }; // one session, at the comparison's instant
    // The estimates are for the models shown, so they wait for the page of the list (at once when it is in).
    return pageReady.then(() => {
      if (gen !== generation) return null;
      const shown = shownModels(state.baseline);
      Estimator.models = shown;
      const others = shown.filter((id) => id !== state.baseline);
      const compare = compareShown(state.baseline, session, others, signal)
        .then((body) => {
          if (gen !== generation) return;
          view.rows = body.rows;
          view.at = body.at;
          noteAnswer(body);
          view.variant = asked;
          view.cached = usage.cached_input_tokens > 0;
          renderSoon();
        })
        .catch((error) => failed(gen, error));
      // One request prices the month on every model shown, each on its own.
      const monthly = api("/v1/estimate/monthly/models",
        { models: shown, ...usage, sessions_per_month: sessions, ...variant, ...when, ...asOf }, signal)
        .then((body) => {
          if (gen !== generation) return;
          body.data.forEach((item, index) => monthlyItem(gen, item, index, asked));
          body.data.forEach((item) => item.ok && noteAnswer(item.result));
          renderSoon();
        })
        .catch((error) => failed(gen, error));
      renderSoon(); // the page's rows, with placeholders where figures will be, while the requests run
      return Promise.all([compare, monthly]);
    }).then(() => {
      if (gen !== generation) return;
      setBusy(false);
      renderSoon();
      showAsOf(state);
      showProblems();
      // The table first, then the history chart further down: its requests would only slow the table's.
      updateHistory(state);
    });
  }

  // The page's models, and the baseline, which the ratios are relative to, wherever it is in the list.
  const shownModels = (baseline) => (!baseline || list.ids.includes(baseline) ? list.ids : [...list.ids, baseline]);

  // The comparison of the models shown. The API refuses the whole comparison when one of the models named has no
  // price at the instant or not the rate asked for, and names it only in words: then each model is estimated on
  // its own (one batch request, which answers item by item) and the comparison is asked again for those priced.
  // A model left out is shown as unpriced, as the API's comparison of every model would leave it out.
  async function compareShown(baseline, session, others, signal) {
    const compare = (models) => api("/v1/estimate/compare", { baseline, ...session, models }, signal);
    try {
      return await compare(others);
    } catch (error) {
      if (!PRICE_GAPS.has(error.type) || !others.length) throw error;
    }
    const batch = await api("/v1/estimate/batch", { items: others.map((model) => ({ model, ...session })) }, signal);
    return compare(others.filter((_, index) => batch.data[index].ok));
  }

  // A model without a price for (part of) the period, or without the variant asked for, is a fact to show in its
  // cell, not a page error; any other problem of an item is shown in the alert region.
  function monthlyItem(gen, item, index, asked) {
    if (item.ok) return view.monthly.set(item.model, item.result);
    const { error } = item;
    // The item's detail begins with its place in the request ("models[3]: "), which says nothing in its row.
    const place = `models[${index}]: `;
    const missing = error.detail.startsWith(place) ? error.detail.slice(place.length) : error.detail;
    if (error.type === "/problems/no-price-at-instant") {
      return view.monthly.set(item.model, { missing, note: "no price for the whole period" });
    }
    if (error.type === "/problems/variant-not-offered") {
      return view.monthly.set(item.model, { missing, note: `no ${asked} rate` });
    }
    return failed(gen, new Problem(error.status, missing, error.type, error.errors || []));
  }

  // An answer priced as known at a record time says which (`known_at`); one priced on corrected data names the
  // corrections (`corrections`, id and reason), with or without known_at.
  function noteAnswer(body) {
    if (body.known_at) view.knownAt = body.known_at;
    for (const correction of body.corrections || []) view.corrections.set(correction.id, correction.reason);
  }

  function failed(gen, error) {
    if (gen !== generation || error.name === "AbortError") return;
    const detail = error instanceof Problem ? error.detail : String(error);
    if (!problems.estimate.includes(detail)) problems.estimate.push(detail);
    setBusy(false);
    showProblems();
  }

  /* ---- price history ---- */

  // A model's history as known now, or as known at `known` (its prices, promotions and corrections of then).
  function loadHistory(id, known) {
    const key = `${known}\n${id}`;
    if (!historyCache.has(key)) {
      const path = encodeURIComponent(id);
      const asOf = known ? `known_at=${encodeURIComponent(known)}` : "";
      const prices = `/v1/models/${path}/prices`;
      const promise = Promise.all([allPages(asOf ? `${prices}?${asOf}` : prices),
        allPages(`/v1/promotions?model=${path}${asOf && "&" + asOf}`),
        allPages(`/v1/corrections?model=${path}${asOf && "&" + asOf}`)])
        .then(([prices, promotions, corrections]) => ({ id, prices, promotions, corrections, known }));
      promise.catch(() => historyCache.delete(key)); // a failure is not remembered: the next change retries
      historyCache.set(key, promise);
    }
    return historyCache.get(key);
  }

  async function updateHistory(state) {
    const gen = ++historyGeneration;
    const id = state.hist || state.baseline;
    try {
      const data = await loadHistory(id, state.known_at);
      if (gen !== historyGeneration) return;
      problems.history = [];
      showHistory(data, state);
    } catch (error) {
      if (gen !== historyGeneration) return;
      problems.history = [error.detail || String(error)];
    }
    showProblems();
  }

  /* ---- the page of models shown, and the providers ---- */

  function listPath() {
    const query = new URLSearchParams({ limit: String(list.size) });
    if (list.q) query.set("q", list.q);
    if (list.provider) query.set("provider", list.provider);
    if (list.cursor) query.set("cursor", list.cursor);
    return `/v1/models?${query}`;
  }

  // One page of the list, searched and filtered by the server; the figures of the page before are dropped.
  async function loadPage() {
    const gen = ++pageGeneration;
    if (pageController) pageController.abort();
    pageController = new AbortController();
    try {
      const page = await api(listPath(), undefined, pageController.signal);
      if (gen !== pageGeneration) return;
      list.ids = page.data.map((m) => m.id);
      list.next = page.next_cursor;
      for (const m of page.data) names.set(m.id, m.name);
      problems.catalog = [];
    } catch (error) {
      if (gen !== pageGeneration || error.name === "AbortError") return;
      list.ids = [];
      list.next = null;
      problems.catalog = [`The model list could not be loaded: ${error.detail || error}`];
    }
    list.loaded = true;
    view.rows = null;
    view.monthly.clear();
    fillModelSelects();
    nameMissing();
    showPager();
  }

  // The baseline and history choices are the models shown, and whichever model is chosen now.
  function fillModelSelects() {
    for (const select of [$("baseline"), $("history-model")]) {
      const chosen = select.value;
      for (const option of [...select.options]) {
        if (option.value && option.value !== chosen && !list.ids.includes(option.value)) option.remove();
      }
      for (const id of list.ids) ensureOption(select, id);
      for (const option of select.options) if (option.value) option.textContent = nameOf(option.value);
      select.value = chosen;
    }
  }

  // A chosen baseline (or history model) on no page shown yet: its name comes from its own record, asked once.
  function nameMissing() {
    for (const id of new Set([$("baseline").value, $("history-model").value])) {
      if (!id || names.has(id)) continue;
      names.set(id, id);
      api(`/v1/models/${encodeURIComponent(id)}`).then((model) => {
        names.set(id, model.name);
        fillModelSelects();
        renderTable();
        drawHistory();
      }, () => {}); // an unknown model keeps its id as its name; the estimates say what is wrong with it
    }
  }

  async function loadProviders() {
    try {
      const providers = await allPages("/v1/providers", undefined, MAX_PROVIDERS);
      const select = $("provider");
      const chosen = select.value;
      const named = new Map(providers.map((provider) => [provider.id, provider.name]));
      const listed = new Set([...select.options].map((option) => option.value));
      for (const id of named.keys()) if (!listed.has(id)) select.add(new Option(id, id));
      for (const option of select.options) if (named.has(option.value)) option.textContent = named.get(option.value);
      select.value = chosen;
      problems.providers = [];
    } catch (error) {
      problems.providers = [`The provider list could not be loaded: ${error.detail || error}`];
    }
    showProblems();
  }

  function goToPage() {
    list.loaded = false; // Previous and Next wait for this page
    list.next = null;
    setBusy(true);
    pageReady = loadPage();
    update();
  }

  // A new search or provider starts again from the first page.
  function search() {
    clearTimeout(searchTimer);
    const q = $("q").value.trim();
    const provider = $("provider").value;
    if (q === list.q && provider === list.provider) return;
    Object.assign(list, { q, provider, cursor: null, page: 1, back: [] });
    goToPage();
  }

  function searchSoon() {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(search, DEBOUNCE_MS);
  }

  function nextPage() {
    if (!list.loaded || !list.next) return;
    Object.assign(list, { back: [...list.back, list.cursor], cursor: list.next, page: list.page + 1 });
    goToPage();
  }

  // Back one page, or to the first page from a shared link, which brings no way back.
  function previousPage() {
    if (!list.loaded || list.page <= 1) return;
    const back = list.back.slice(0, -1);
    const cursor = list.back.length ? list.back[list.back.length - 1] : null;
    Object.assign(list, { back: cursor === null ? [] : back, cursor, page: cursor === null ? 1 : list.page - 1 });
    goToPage();
  }

  // The page of models first (the estimates wait for its ids), then the estimates, then the history and the
  // providers, which the table does not need.
  function begin() {
    pageReady = loadPage();
    update().then(loadProviders);
  }

  Estimator.requests = { begin, schedule, update, updateHistory, search, searchSoon, nextPage, previousPage };
})();

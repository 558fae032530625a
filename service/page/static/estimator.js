/* The estimator page: reads the inputs (and the URL, so a view can be shared), asks the public v1 API for
 * per-session costs (/v1/estimate/compare) and monthly costs (/v1/estimate/monthly, one call per model), and
 * renders the table and charts. A request time, a batch or service-tier variant and a spread over the day are
 * sent only when chosen, so without them every request is the one it always was. Money values are the API's
 * decimal strings, shown exactly as they arrive; Number() is used only to sort and to draw. Every API error is
 * an RFC 9457 problem whose `detail` is shown. */
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  // Elements are made with textContent only: model names come from the catalog and are never parsed as HTML.
  const make = (tag, props) => Object.assign(document.createElement(tag), props);
  const charts = window.EstimatorCharts;
  const DEFAULTS = { in: "50000", out: "20000", cache: "0", retry: "1", spm: "1000", at: "2026-05-10",
    month: "", baseline: "deepseek-v4-flash", mode: "at", hist: "", log: false,
    requested: "", processing: "standard", tier: "standard", spread: "uniform" };
  // The pricing-rule inputs: in the URL only when not the default, so links made before them stay the same.
  const RULE_FIELDS = ["requested", "processing", "tier", "spread"];
  const FIELDS = ["in", "out", "cache", "retry", "spm", "at", "month", "baseline", ...RULE_FIELDS];
  const COLUMNS = ["model", "per_session", "monthly", "input_ratio", "output_ratio", "total_ratio", "rates"];
  const DEBOUNCE_MS = 250;

  const names = new Map(); // model id -> display name, from the catalog
  let models = []; // the catalog's model ids: one table row and one monthly call each
  let sort = { key: "per_session", order: "asc" }; // the API's own order: cheapest first
  // What the table shows: the last compare answer (and the variant and cache share it was asked with) and the
  // monthly result per model ({total, periods} or {missing, note}).
  const view = { rows: null, at: null, variant: null, cached: false, monthly: new Map() };
  const problems = { catalog: [], estimate: [], history: [] }; // shown together in the alert region
  let generation = 0; // answers to an older set of inputs are dropped, and their requests aborted
  let controller = null;
  let timer = null;
  let historyGeneration = 0;
  const historyCache = new Map(); // model id -> promise of {model, prices, promotions}
  let lastHistory = null;

  class Problem extends Error {
    constructor(status, detail) {
      super(detail);
      this.status = status;
      this.detail = detail;
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
      throw new Problem(response.status, (data && (data.detail || data.title)) || `HTTP ${response.status}`);
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

  /* ---- state: form <-> URL ---- */

  function stateFromUrl() {
    const query = new URLSearchParams(location.search);
    const state = { ...DEFAULTS };
    for (const key of FIELDS) if (query.has(key)) state[key] = query.get(key);
    if (query.has("month") && !query.has("at")) state.mode = "month";
    state.month = state.month || state.at.slice(0, 7);
    state.hist = query.get("hist") || "";
    state.log = query.get("log") === "1";
    if (COLUMNS.includes(query.get("sort"))) {
      sort = { key: query.get("sort"), order: query.get("order") === "desc" ? "desc" : "asc" };
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
    if (state.hist) query.set("hist", state.hist);
    if (state.log) query.set("log", "1");
    if (sort.key !== "per_session" || sort.order !== "asc") {
      query.set("sort", sort.key);
      query.set("order", sort.order);
    }
    history.replaceState(null, "", `${location.pathname}?${query}`);
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

  // "batch", "flex tier", "priority tier": a variant the way the page names it.
  const variantName = (kind) => (kind === "batch" ? "batch" : `${kind} tier`);
  const variantOf = (state) =>
    (state.processing === "batch" ? "batch" : state.tier !== "standard" ? variantName(state.tier) : null);

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
    const monthly = catalogReady.then(() => Promise.all(models.map((model) =>
      api("/v1/estimate/monthly", { model, ...usage, sessions_per_month: sessions, ...variant, ...when }, signal)
        .then((body) => gen === generation && view.monthly.set(model, body))
        // A model without a price for (part of) the period, or without the variant asked for, is a fact to show
        // in its cell, not a page error.
        .catch((error) => {
          if (gen !== generation) return;
          const missing = error.detail;
          if (error.status === 404) view.monthly.set(model, { missing, note: "no price for the whole period" });
          else if (lacksVariant(error, model)) view.monthly.set(model, { missing, note: `no ${asked} rate` });
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

  // A 422 about one model's price (the variant asked for is not offered) names that model first; a 422 about the
  // request itself (batch with a service tier) does not, and is the page's problem to show.
  const lacksVariant = (error, model) => error.status === 422 && error.detail.startsWith(`model '${model}':`);

  function failed(gen, error) {
    if (gen !== generation || error.name === "AbortError") return;
    const detail = error instanceof Problem ? error.detail : String(error);
    if (!problems.estimate.includes(detail)) problems.estimate.push(detail);
    setBusy(false);
    showProblems();
  }

  function showProblems() {
    const all = [...new Set([...problems.catalog, ...problems.estimate, ...problems.history])];
    const alert = $("alert");
    alert.hidden = !all.length;
    alert.replaceChildren(...all.map((detail) => make("p", { textContent: detail })));
    // Figures from before the error stay visible, dimmed, until a request succeeds again.
    $("results").classList.toggle("stale", problems.estimate.length > 0);
    $("bars").classList.toggle("stale", problems.estimate.length > 0);
  }

  function setBusy(busy) {
    for (const id of ["results", "bars"]) {
      $(id).classList.toggle("busy", busy);
      $(id).setAttribute("aria-busy", String(busy));
    }
  }

  /* ---- the table ---- */

  const nameOf = (id) => names.get(id) || id;
  const money = (value) => "$" + value;

  function tableItems() {
    const byModel = new Map((view.rows || []).map((row) => [row.model, row]));
    const ids = [...byModel.keys(), ...models.filter((id) => !byModel.has(id))];
    return ids.map((id, index) => ({ id, index, row: byModel.get(id), monthly: view.monthly.get(id) }));
  }

  function sortValue(item, key) {
    if (key === "model") return nameOf(item.id).toLowerCase();
    if (key === "monthly") return item.monthly && item.monthly.total != null ? Number(item.monthly.total) : null;
    if (!item.row) return null;
    if (key === "rates") return Number(item.row.rates.input_per_mtok);
    return Number(key === "per_session" ? item.row.cost.per_session : item.row[key]);
  }

  function sorted(items) {
    const sign = sort.order === "desc" ? -1 : 1;
    return [...items].sort((a, b) => {
      const x = sortValue(a, sort.key);
      const y = sortValue(b, sort.key);
      if (x === null || y === null) return (x === null) - (y === null) || a.index - b.index; // unpriced last
      const diff = typeof x === "string" ? x.localeCompare(y) : x - y;
      return sign * diff || a.index - b.index;
    });
  }

  function cell(tr, text, { col, value, className, tag = "td" } = {}) {
    const td = document.createElement(tag);
    if (text === null) td.append(make("span", { className: "ph" }));
    else td.textContent = text;
    if (col) td.dataset.col = col;
    if (value != null) td.dataset.value = value;
    if (className) td.className = className;
    tr.append(td);
    return td;
  }

  function renderTable() {
    const items = tableItems();
    if (!items.length) return; // keep the placeholder rows until something is known
    const baseline = $("baseline").value;
    const notes = new Map(); // warning -> models it applies to
    const body = document.createElement("tbody");
    for (const item of sorted(items)) {
      const { id, row, monthly } = item;
      const tr = document.createElement("tr");
      tr.dataset.model = id;
      if (id === baseline) tr.className = "baseline";
      const warnings = [...new Set([...(row ? row.warnings : []), ...((monthly && monthly.warnings) || [])])];
      warnings.forEach((w) => notes.set(w, [...(notes.get(w) || []), nameOf(id)]));
      const name = cell(tr, nameOf(id), { tag: "th", className: "text" });
      name.scope = "row";
      name.title = nameOf(id);
      const title = warnings.join("\n");
      if (warnings.length) name.append(make("span", { className: "warn", textContent: " *", title }));
      if (id === baseline) name.append(make("span", { className: "tag", textContent: "baseline" }));
      if (row) cell(tr, money(row.cost.per_session), { col: "per_session", value: row.cost.per_session });
      else if (view.rows) {
        // The API leaves out a model with no price then, or without the variant asked for.
        const what = view.variant ? `no ${view.variant} price` : "no price";
        cell(tr, `${what} on ${view.at.slice(0, 10)}`, { col: "per_session", className: "missing" });
      } else cell(tr, null, { col: "per_session" });
      monthlyCell(tr, monthly);
      for (const key of ["input_ratio", "output_ratio", "total_ratio"]) {
        if (row) cell(tr, row[key] + "×", { col: key, value: row[key] });
        else cell(tr, view.rows ? "—" : null, { col: key });
      }
      if (row) ratesCell(tr, row);
      else cell(tr, view.rows ? "—" : null, { col: "rates" });
      body.append(tr);
    }
    $("results").tBodies[0].replaceWith(body);
    renderNotes(notes);
    renderSummary();
    drawBars();
  }

  // What a token is charged per 1M after rules and promotions, and the rules that made it so, in words.
  function ratesCell(tr, row) {
    const { rates } = row;
    const td = cell(tr, `${money(rates.input_per_mtok)} / ${money(rates.output_per_mtok)}`,
      { col: "rates", value: rates.input_per_mtok, className: "rates" });
    td.title = ratesText(rates) + " per 1M tokens";
    const parts = appliedText(row.applied_rules);
    // Cached tokens are charged the cache-read rate: worth a mention only when the workload has some.
    const cacheRead = rates.cache_read_per_mtok;
    if (view.cached && cacheRead != null) parts.unshift(`cache read ${money(cacheRead)}`);
    if (parts.length) td.append(make("span", { className: "sub", textContent: parts.join(" · ") }));
  }

  function ratesText(p) {
    let text = `input $${p.input_per_mtok}, output $${p.output_per_mtok}`;
    if (p.cache_read_per_mtok != null) text += `, cache read $${p.cache_read_per_mtok}`;
    if (p.cache_write_per_mtok != null) text += `, cache write $${p.cache_write_per_mtok}`;
    return text;
  }

  const tokens = (n) => n.toLocaleString("en-US");

  // applied_rules as words: ["long-context tier above 200,000 tokens", "batch", "off-peak window"].
  function appliedText(applied) {
    const parts = [];
    if (applied.context_tier != null) parts.push(`long-context tier above ${tokens(applied.context_tier)} tokens`);
    if (applied.variant) parts.push(variantName(applied.variant));
    if (applied.time_window) parts.push(`${applied.time_window} window`);
    return parts;
  }

  function monthlyCell(tr, monthly) {
    if (!monthly) return cell(tr, null, { col: "monthly" });
    if (monthly.missing) return cell(tr, monthly.missing, { col: "monthly", className: "missing" });
    const td = cell(tr, money(monthly.total), { col: "monthly", value: monthly.total });
    if (monthly.periods.length > 1) {
      // A month that spans a price change or a promotion's end is priced in parts: say so, and how.
      const parts = monthly.periods.map((p) => {
        const rules = appliedText(p.applied_rules);
        return `${p.from.slice(0, 16).replace("T", " ")} – ${p.to.slice(0, 16).replace("T", " ")}: `
          + `${p.sessions} sessions × $${p.per_session} = $${p.cost}${rules.length ? ` (${rules.join(", ")})` : ""}`;
      });
      // A time window cuts a month into dozens of stretches: the tooltip keeps to the first few.
      const shown = parts.length > 12 ? [...parts.slice(0, 12), `… and ${parts.length - 12} more`] : parts;
      const title = shown.join("\n");
      td.append(make("span", { className: "sub", textContent: `${parts.length} price periods`, title }));
    }
    return td;
  }

  function renderNotes(notes) {
    $("notes").replaceChildren(...[...notes].map(([warning, who]) =>
      make("li", { textContent: `* ${who.join(", ")}: ${warning}` })));
  }

  function renderSummary() {
    const state = readForm();
    const when = state.mode === "month"
      ? `per-session prices at the start of ${state.month}, monthly over the whole month`
      : `prices at ${view.at ? view.at.slice(0, 10) : state.at}`;
    const priced = view.rows ? view.rows.length : 0;
    const total = Math.max(models.length, priced);
    const how = [variantOf(state), state.requested && `requests at ${state.requested.replace("T", " ")} UTC`,
      state.mode === "month" && state.spread === "office" && "office hours"].filter(Boolean).map((x) => ` · ${x}`);
    $("summary").textContent = `${priced} of ${total} models priced · ${when}${how.join("")} `
      + `· baseline ${nameOf(state.baseline)}.`;
  }

  let renderPending = false;
  function renderSoon() {
    if (renderPending) return;
    renderPending = true;
    requestAnimationFrame(() => {
      renderPending = false;
      renderTable();
    });
  }

  function drawBars() {
    const items = tableItems()
      .map((item) => ({ label: nameOf(item.id), baseline: item.id === $("baseline").value,
        value: item.monthly && item.monthly.total != null ? item.monthly.total : null,
        note: item.monthly && item.monthly.missing ? item.monthly.note : "…" }))
      .sort((a, b) => (a.value === null) - (b.value === null) || Number(a.value) - Number(b.value));
    charts.drawBars($("bars"), items, { log: $("log").checked });
  }

  function markSort() {
    for (const th of $("results").tHead.rows[0].cells) {
      if (th.dataset.key === sort.key) th.setAttribute("aria-sort", sort.order === "asc" ? "ascending" : "descending");
      else th.removeAttribute("aria-sort");
    }
  }

  // A second click on the same heading reverses the order; the heading buttons make this work by keyboard too.
  function sortBy(key) {
    sort = { key, order: sort.key === key && sort.order === "asc" ? "desc" : "asc" };
    markSort();
    writeUrl(readForm());
    renderTable();
  }

  /* ---- price history ---- */

  function marker(state) {
    if (state.mode === "month") {
      const [year, month] = state.month.split("-").map(Number);
      const from = Date.UTC(year, month - 1, 1);
      return Number.isFinite(from) ? { from, to: Date.UTC(year, month, 1) } : null;
    }
    const at = Date.parse(state.at);
    return Number.isFinite(at) ? { from: at, to: at } : null;
  }

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
      lastHistory = { data, marker: marker(state) };
      drawHistory();
      const day = (instant, open) => (instant ? instant.slice(0, 10) : open);
      $("history-text").replaceChildren(
        ...data.prices.map((p) => make("li", { textContent: `${day(p.valid_from)} to ${day(p.valid_to, "now")}: `
          + `input $${p.input_per_mtok}, output $${p.output_per_mtok} per 1M tokens`
          + rulesText(p.rules).map((rule) => `; ${rule}`).join("") })),
        ...data.promotions.map((p) => make("li", { textContent: `${p.name}: ${p.percent_off}% off `
          + `from ${day(p.valid_from)} to ${day(p.valid_to, "further notice")}` })));
    } catch (error) {
      if (gen !== historyGeneration) return;
      problems.history = [error.detail || String(error)];
    }
    showProblems();
  }

  const DAY_NAMES = { mon: "Mon", tue: "Tue", wed: "Wed", thu: "Thu", fri: "Fri", sat: "Sat", sun: "Sun" };

  function daysText(days) {
    const text = days.map((d) => DAY_NAMES[d]).join(", ");
    return { "Mon, Tue, Wed, Thu, Fri, Sat, Sun": "every day", "Mon, Tue, Wed, Thu, Fri": "Mon–Fri" }[text] || text;
  }

  // A price's rules as sentences: its context tiers, time windows and variants.
  function rulesText(rules) {
    return [
      ...rules.context_tiers.map((t) =>
        `long-context tier above ${tokens(t.above_prompt_tokens)} prompt tokens: ${ratesText(t)} per 1M tokens`),
      ...rules.time_windows.map((w) => `${w.name} window, ${daysText(w.days)} ${w.start}–${w.end} ${w.timezone}`
        + `${w.excluded_dates.length ? ` except ${w.excluded_dates.join(", ")}` : ""}: rates × ${w.multiplier}`),
      ...rules.variants.map((v) => `${variantName(v.kind)}: rates × ${v.multiplier}`),
    ];
  }

  // The rules of the history model's price at the chosen date (or the month's start), where it has any.
  function showRules(data, mark) {
    const price = mark && data.prices.find((p) => Date.parse(p.valid_from) <= mark.from
      && (!p.valid_to || mark.from < Date.parse(p.valid_to)));
    const lines = price ? rulesText(price.rules) : [];
    $("rules").hidden = !lines.length;
    $("rules-title").textContent = lines.length
      ? `Pricing rules of ${nameOf(data.id)} on ${new Date(mark.from).toISOString().slice(0, 10)}:` : "";
    $("rules-list").replaceChildren(...lines.map((line) => make("li", { textContent: line })));
  }

  function drawHistory() {
    if (!lastHistory) return;
    const { data, marker: mark } = lastHistory;
    charts.drawHistory($("history"), { ...data, model: nameOf(data.id) }, mark);
    showRules(data, mark);
  }

  /* ---- presets, catalog, wiring ---- */

  function markPreset(state) {
    for (const button of document.querySelectorAll(".presets button")) {
      const { dataset } = button;
      const match = dataset.in === state.in && dataset.out === state.out
        && Number(dataset.cache) === Number(state.cache || 0);
      button.setAttribute("aria-pressed", String(match));
    }
  }

  async function loadCatalog() {
    try {
      const list = await allPages("/v1/models");
      models = list.map((m) => m.id);
      for (const m of list) names.set(m.id, m.name);
    } catch (error) {
      problems.catalog = [`The model list could not be loaded: ${error.detail || error}`];
    }
    for (const select of [$("baseline"), $("history-model")]) {
      const chosen = select.value;
      for (const id of models) ensureOption(select, id);
      for (const option of select.options) if (option.value) option.textContent = nameOf(option.value);
      select.value = chosen;
    }
    renderTable();
    drawHistory();
  }

  let catalogReady;

  function start() {
    fillForm(stateFromUrl());
    markSort();
    catalogReady = loadCatalog();
    update();
    const form = $("inputs");
    form.addEventListener("input", schedule);
    // Typing fires "input"; "change" would repeat it on blur, so it only matters for the date/month switch.
    form.addEventListener("change", (event) => {
      if (event.target.name !== "mode") return;
      syncWhen();
      schedule();
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      update();
    });
    for (const button of document.querySelectorAll(".presets button")) {
      button.addEventListener("click", () => {
        $("in").value = button.dataset.in;
        $("out").value = button.dataset.out;
        $("cache").value = button.dataset.cache;
        update();
      });
    }
    for (const th of $("results").tHead.rows[0].cells) {
      th.querySelector("button").addEventListener("click", () => sortBy(th.dataset.key));
    }
    $("log").addEventListener("change", () => {
      writeUrl(readForm());
      drawBars();
    });
    $("history-model").addEventListener("change", () => {
      const state = readForm();
      writeUrl(state);
      updateHistory(state);
    });
    let resizeTimer = null;
    window.addEventListener("resize", () => {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(() => {
        if (view.rows || view.monthly.size) drawBars();
        drawHistory();
      }, 150);
    });
  }

  start();
})();

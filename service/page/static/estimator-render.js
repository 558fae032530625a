/* What the estimator page shows: the cost table, the bar chart, the price history with its periods as text, the
 * alert, and prices and their rules in words. Adds `render` to window.Estimator (see estimator.js). */
"use strict";

(() => {
  const { $, make, nameOf, readForm, writeUrl, view, problems } = Estimator;
  const charts = window.EstimatorCharts;

  /* ---- prices and their rules in words ---- */

  // "batch", "flex tier", "priority tier": a variant the way the page names it.
  const variantName = (kind) => (kind === "batch" ? "batch" : `${kind} tier`);
  const variantOf = (state) =>
    (state.processing === "batch" ? "batch" : state.tier !== "standard" ? variantName(state.tier) : null);

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

  /* ---- the alert and the busy marks ---- */

  function showProblems() {
    const all = [...new Set(Object.values(problems).flat())];
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

  const money = (value) => "$" + value;

  function tableItems() {
    const shown = new Set(Estimator.models);
    const byModel = new Map((view.rows || []).filter((row) => shown.has(row.model)).map((row) => [row.model, row]));
    const ids = [...byModel.keys(), ...Estimator.models.filter((id) => !byModel.has(id))];
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
    const { sort } = Estimator;
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
    const priced = tableItems().filter((item) => item.row).length;
    const total = Estimator.models.length;
    const how = [variantOf(state), state.requested && `requests at ${state.requested.replace("T", " ")} UTC`,
      state.mode === "month" && state.spread === "office" && "office hours"].filter(Boolean).map((x) => ` · ${x}`);
    $("summary").textContent = `${listText()}${priced} of ${total} models priced · ${when}${how.join("")} `
      + `· baseline ${nameOf(state.baseline)}.`;
  }

  // Answers that land together are drawn once, at the next frame: a page of 50 rows is worth drawing only once.
  let renderPending = false;
  function renderSoon() {
    if (renderPending) return;
    renderPending = true;
    requestAnimationFrame(() => {
      renderPending = false;
      renderTable();
    });
  }

  // What the list was asked for, when it is not every model: "Models matching “gpt” from OpenAI: none · ".
  function listText() {
    const { list } = Estimator;
    if (!list.q && !list.provider) return "";
    const provider = $("provider").selectedOptions[0];
    const from = provider ? provider.text : list.provider;
    const what = [list.q && `matching “${list.q}”`, list.provider && `from ${from}`];
    return `Models ${what.filter(Boolean).join(" ")}${list.loaded && !list.ids.length ? ": none" : ""} · `;
  }

  function showPager() {
    const { list } = Estimator;
    const [previous, next] = [$("prev-page"), $("next-page")];
    previous.disabled = list.page <= 1;
    next.disabled = !list.next;
    // A button disabled under the keyboard's focus drops it: the focus moves to the other one instead.
    if (document.activeElement === next && next.disabled && !previous.disabled) previous.focus();
    if (document.activeElement === previous && previous.disabled && !next.disabled) next.focus();
    const first = (list.page - 1) * list.size + 1;
    const last = first + list.ids.length - 1;
    const range = !list.ids.length ? "" : last === first ? ` · model ${first}` : ` · models ${first}–${last}`;
    $("page-status").textContent = `Page ${list.page}${range}`;
  }

  function drawBars() {
    const items = tableItems()
      .map((item) => ({ label: nameOf(item.id), baseline: item.id === $("baseline").value,
        value: item.monthly && item.monthly.total != null ? item.monthly.total : null,
        note: item.monthly && item.monthly.missing ? item.monthly.note : "…" }))
      .sort((a, b) => (a.value === null) - (b.value === null) || Number(a.value) - Number(b.value));
    $("bars").style.height = ""; // the chart grows with the models shown, and shrinks back with them
    charts.drawBars($("bars"), items, { log: $("log").checked });
  }

  function markSort() {
    const { sort } = Estimator;
    for (const th of $("results").tHead.rows[0].cells) {
      if (th.dataset.key === sort.key) th.setAttribute("aria-sort", sort.order === "asc" ? "ascending" : "descending");
      else th.removeAttribute("aria-sort");
    }
  }

  // A second click on the same heading reverses the order; the heading buttons make this work by keyboard too.
  function sortBy(key) {
    const { sort } = Estimator;
    Estimator.sort = { key, order: sort.key === key && sort.order === "asc" ? "desc" : "asc" };
    markSort();
    writeUrl(readForm());
    renderTable();
  }

  /* ---- as known at, and the corrections an answer names ---- */

  // Said above the table: the record time the figures are as known at (the one the API answered with, once it
  // has), and the corrections the answers were priced on. Nothing is shown for today's uncorrected prices.
  function showAsOf(state) {
    const { knownAt, corrections } = view;
    const known = knownAt || state.known_at;
    $("known-note").textContent = known
      ? `As known at ${known}: every figure is what the catalog said then, before any later correction.`
      : "Priced on corrected data: the catalog's prices for these dates were corrected.";
    $("answer-corrections").replaceChildren(...[...corrections].sort((a, b) => a[0] - b[0]).map(([id, reason]) =>
      make("li", { className: "answer-correction", textContent: `Correction ${id}: ${reason}` })));
    $("asof").hidden = !known && !corrections.size;
  }

  /* ---- price history ---- */

  let lastHistory = null; // {data, marker}: redrawn on resize and once the catalog's names are in

  function marker(state) {
    if (state.mode === "month") {
      const [year, month] = state.month.split("-").map(Number);
      const from = Date.UTC(year, month - 1, 1);
      return Number.isFinite(from) ? { from, to: Date.UTC(year, month, 1) } : null;
    }
    const at = Date.parse(state.at);
    return Number.isFinite(at) ? { from: at, to: at } : null;
  }

  function showHistory(data, state) {
    lastHistory = { data, marker: marker(state) };
    $("history-known").hidden = !data.known;
    $("history-known").textContent = data.known ? `As known at ${data.known}: the prices, promotions and `
      + "corrections the catalog held then." : "";
    drawHistory();
    const day = (instant, open) => (instant ? instant.slice(0, 10) : open);
    $("history-text").replaceChildren(
      ...data.prices.map((p) => make("li", { textContent: `${day(p.valid_from)} to ${day(p.valid_to, "now")}: `
        + `input $${p.input_per_mtok}, output $${p.output_per_mtok} per 1M tokens`
        + rulesText(p.rules).map((rule) => `; ${rule}`).join("") })),
      ...data.promotions.map((p) => make("li", { textContent: `${p.name}: ${p.percent_off}% off `
        + `from ${day(p.valid_from)} to ${day(p.valid_to, "further notice")}` })),
      ...(data.corrections || []).map((c) => make("li", { className: "corrected-text", textContent: `Corrected `
        + `from ${day(c.valid_from)} to ${day(c.valid_to, "now")}: ${c.reason}` })));
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

  Estimator.render = {
    renderTable, renderSoon, showPager, drawBars, markSort, sortBy, showProblems, setBusy, showHistory, drawHistory,
    variantOf, showAsOf,
  };
})();

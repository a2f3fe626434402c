// Query results for notebooks and dashboards: run DQL through the query endpoint (bounded concurrency, so a
// dashboard of many tiles does not flood the service), and draw a result as a table, a chart (ECharts via
// app.js), a single value, a record list or a honeycomb. Also DQL literals, $variable substitution (the
// same rules as threatlake/documents/variables.py) and CSV/JSON downloads.
"use strict";

const TLResults = (() => {
  const MAX_CONCURRENT = 4;
  const MAX_ROWS_SHOWN = 500;
  const NUMERIC = new Set(["long", "double", "duration"]);
  const RISK = { CRITICAL: "--critical", HIGH: "--high", MEDIUM: "--medium", LOW: "--low", NONE: "--none", NOT_AVAILABLE: "--none" };
  let active = 0;
  const waiting = [];

  // -- running queries -------------------------------------------------------------------------------------
  function acquire() {
    return new Promise((resolve) => {
      if (active < MAX_CONCURRENT) { active += 1; resolve(); } else waiting.push(resolve);
    });
  }
  function release() {
    const next = waiting.shift();
    if (next) next(); else active -= 1;
  }
  function csrf() { return document.body.dataset.csrf || ""; }

  class QueryFailure extends Error {
    constructor(message, line, column, status) {
      super(message);
      this.line = line || 0;
      this.column = column || 0;
      this.status = status;
    }
    get where() { return this.line ? `line ${this.line}, column ${this.column}` : ""; }
  }

  // Runs `query` over `timeframe` ({from, to}); resolves to the platform's result ({records, types, ...}).
  async function run(url, query, timeframe, options = {}) {
    await acquire();
    try {
      const params = new URLSearchParams();
      if (timeframe && timeframe.from) params.set("from", timeframe.from);
      if (timeframe && timeframe.to) params.set("to", timeframe.to);
      const body = new URLSearchParams({ query, maxResultRecords: String(options.maxRecords || 1000) });
      let response;
      try {
        response = await fetch(`${url}?${params}`, {
          method: "POST", body, credentials: "same-origin", signal: options.signal,
          headers: { "X-CSRF-Token": csrf(), Accept: "application/json" },
        });
      } catch (error) {
        throw new QueryFailure(`The service did not answer: ${error.message || error}`);
      }
      let answer = null;
      try { answer = await response.json(); } catch (_) { /* an HTML error page */ }
      if (!response.ok || !answer || answer.error) {
        const error = (answer && answer.error) || {};
        const details = error.details || {};
        throw new QueryFailure(error.message || `The query failed (HTTP ${response.status})`, details.line, details.column, response.status);
      }
      return answer.result;
    } finally {
      release();
    }
  }

  // -- DQL text --------------------------------------------------------------------------------------------
  const ESCAPES = { "\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\0": "\\0" };
  function literal(value) {
    if (value === null || value === undefined) return "null";
    if (typeof value === "number" || typeof value === "boolean") return String(value);
    return `"${String(value).replace(/[\\"\n\r\t\0]/g, (ch) => ESCAPES[ch])}"`;
  }
  function fieldName(name) { return /^[A-Za-z_][A-Za-z0-9_.]*$/.test(name) ? name : `\`${name.replace(/`/g, "")}\``; }
  const SCAN = /("""[\s\S]*?"""|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`[^`]*`|\/\/[^\n]*|\/\*[\s\S]*?\*\/)|\$([A-Za-z_][A-Za-z0-9_]*)/g;
  function substitute(query, values) {
    return query.replace(SCAN, (match, skip, name) => {
      if (skip !== undefined || !name || !Object.prototype.hasOwnProperty.call(values, name)) return match;
      const value = values[name];
      return Array.isArray(value) ? `array(${value.map(literal).join(", ")})` : literal(value);
    });
  }
  function uses(query) {
    const names = new Set();
    query.replace(SCAN, (match, skip, name) => { if (skip === undefined && name) names.add(name); return match; });
    return names;
  }
  // The query with `| filter field == value` (or filterOut) added: the +/− pivots.
  function pivot(query, field, value, include) {
    const condition = value === null || value === undefined ? `isNull(${fieldName(field)})` : `${fieldName(field)} == ${literal(value)}`;
    return `${query.replace(/\s+$/, "")}\n| ${include ? "filter" : "filterOut"} ${condition}`;
  }

  // -- the shape of a result -------------------------------------------------------------------------------
  function types(result) {
    const found = {};
    for (const group of result.types || []) {
      for (const [name, mapping] of Object.entries(group.mappings || {})) if (!(name in found)) found[name] = mapping.type;
    }
    return found;
  }
  function columns(result) {
    const names = [];
    const seen = new Set();
    for (const record of (result.records || []).slice(0, 200)) {
      for (const name of Object.keys(record)) if (!seen.has(name)) { seen.add(name); names.push(name); }
    }
    for (const name of Object.keys(types(result))) if (!seen.has(name)) { seen.add(name); names.push(name); }
    return names;
  }
  function isNumeric(kind, sample) {
    if (kind) return NUMERIC.has(kind);
    return typeof sample === "number";
  }
  function number(value) {
    if (value === null || value === undefined || value === "") return null;
    const parsed = Number(value);
    return Number.isFinite(parsed) ? parsed : null;
  }
  function roles(result) {
    const kinds = types(result);
    const names = columns(result);
    const first = (result.records || [])[0] || {};
    const numeric = names.filter((n) => isNumeric(kinds[n], first[n]) && !Array.isArray(first[n]));
    const time = names.filter((n) => kinds[n] === "timestamp");
    const series = names.filter((n) => Array.isArray(first[n]) && first[n].every((v) => v === null || number(v) !== null));
    const category = names.filter((n) => !numeric.includes(n) && !time.includes(n) && !series.includes(n)
      && n !== "timeframe" && n !== "interval" && (first[n] === null || typeof first[n] !== "object"));
    const timeseries = series.length > 0 && first.timeframe && first.timeframe.start && first.interval;
    return { names, kinds, numeric, time, series, category, timeseries };
  }
  function display(value) {
    if (value === null || value === undefined) return "";
    if (typeof value === "object") return JSON.stringify(value);
    return String(value);
  }
  function label(record, fields) {
    return fields.length ? fields.map((f) => display(record[f]) || "null").join(" · ") : "";
  }

  // {kind, x, time, stacked, series, donut} for Threatlake.chartOption (app.js).
  function chartSpec(result, visualization) {
    const records = result.records || [];
    const r = roles(result);
    const kind = { lineChart: "line", areaChart: "area", barChart: "bar", categoricalBarChart: "bar", pieChart: "pie", donutChart: "pie" }[visualization] || "bar";
    const donut = visualization === "donutChart";
    if (r.timeseries && kind !== "pie") {
      const first = records[0];
      const start = Date.parse(first.timeframe.start);
      const step = Number(first.interval) / 1e6;
      const length = Math.max(...records.map((rec) => Math.max(...r.series.map((s) => (rec[s] || []).length))));
      const x = Array.from({ length }, (_, i) => start + i * step);
      const series = [];
      for (const record of records) {
        for (const field of r.series) {
          const name = [label(record, r.category), r.series.length > 1 || !r.category.length ? field : ""].filter(Boolean).join(" · ");
          series.push({ name, data: (record[field] || []).map(number) });
        }
      }
      return { kind, x, time: true, stacked: kind !== "line" && series.length > 1, series };
    }
    if (r.time.length && r.numeric.length && kind !== "pie" && visualization !== "categoricalBarChart") {
      const t = r.time[0];
      const x = [...new Set(records.map((rec) => Date.parse(rec[t])))].sort((a, b) => a - b);
      const index = new Map(x.map((v, i) => [v, i]));
      const groups = new Map();
      for (const record of records) {
        for (const field of r.numeric) {
          const name = [label(record, r.category), r.numeric.length > 1 ? field : ""].filter(Boolean).join(" · ") || field;
          if (!groups.has(name)) groups.set(name, new Array(x.length).fill(null));
          groups.get(name)[index.get(Date.parse(record[t]))] = number(record[field]);
        }
      }
      return { kind, x, time: true, stacked: kind !== "line" && groups.size > 1, series: [...groups].map(([name, data]) => ({ name, data })) };
    }
    const values = r.numeric.length ? r.numeric : [];
    if (kind !== "pie" && r.category.length >= 2 && values.length === 1) {
      // summarize …, by:{a, b}: a bar per a, stacked by b (risk levels get their colours)
      const [first, ...rest] = r.category;
      const x = [...new Set(records.map((rec) => display(rec[first]) || "null"))];
      const index = new Map(x.map((v, i) => [v, i]));
      const groups = new Map();
      for (const record of records) {
        const name = label(record, rest) || "null";
        if (!groups.has(name)) groups.set(name, new Array(x.length).fill(null));
        groups.get(name)[index.get(display(record[first]) || "null")] = number(record[values[0]]);
      }
      return { kind, x, time: false, stacked: kind !== "line", series: [...groups].map(([name, data]) => ({ name, data })) };
    }
    const x = records.map((rec) => label(rec, r.category.length ? r.category : r.time) || "null");
    if (kind === "pie") return { kind, donut, x, series: [{ name: values[0] || "", data: records.map((rec) => number(rec[values[0]])) }] };
    return { kind, x, time: false, stacked: false, series: values.map((field) => ({ name: field, data: records.map((rec) => number(rec[field])) })) };
  }
  function chartable(result) {
    const r = roles(result);
    return (result.records || []).length > 0 && (r.timeseries || r.numeric.length > 0);
  }

  // -- drawing ---------------------------------------------------------------------------------------------
  function element(tag, attributes = {}, text = "") {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes)) if (value !== undefined && value !== null) node.setAttribute(key, value);
    if (text) node.textContent = text;
    return node;
  }

  async function drawChart(container, result, visualization) {
    const box = element("div", { class: "chart result-chart", role: "img", "aria-label": `${visualization} of the result` });
    container.append(box);
    const echarts = await window.Threatlake.loadECharts();
    const chart = echarts.init(box, null, { renderer: "canvas" });
    const spec = chartSpec(result, visualization);
    const option = window.Threatlake.chartOption(spec);
    // one series over risk levels: each bar in its level's colour, as everywhere else
    if (!spec.time && spec.kind === "bar" && spec.series.length === 1 && spec.x.length && spec.x.every((x) => x in RISK)) {
      const style = getComputedStyle(document.documentElement);
      option.series[0].data = option.series[0].data.map((value, i) => ({ value, itemStyle: { color: style.getPropertyValue(RISK[spec.x[i]]).trim() } }));
    }
    chart.setOption(option);
    new ResizeObserver(() => chart.resize()).observe(box);
    box.dataset.state = "ok";
    return box;
  }

  function singleValue(container, result, settings = {}) {
    const record = (result.records || [])[0] || {};
    const r = roles(result);
    const wanted = settings.singleValue && settings.singleValue.recordField;
    const field = wanted && wanted in record ? wanted : r.numeric[0] || r.names[0];
    const value = record[field];
    const shown = number(value) !== null ? number(value).toLocaleString() : display(value);
    const box = element("div", { class: "single-value" });
    box.append(element("span", { class: "value" }, shown || "—"), element("span", { class: "label" }, (settings.singleValue && settings.singleValue.label) || field || ""));
    container.append(box);
  }

  function honeycomb(container, result) {
    const r = roles(result);
    const field = r.numeric[0];
    const records = (result.records || []).slice(0, MAX_ROWS_SHOWN);
    const top = Math.max(1, ...records.map((rec) => number(rec[field]) || 0));
    const grid = element("ul", { class: "honeycomb", "aria-label": "One cell per record" });
    for (const record of records) {
      const value = number(record[field]);
      const name = label(record, r.category) || display(record[r.names[0]]);
      const level = value === null ? 0 : Math.min(4, Math.floor((value / top) * 4.999));
      const cell = element("li", { class: `cell level-${level}`, title: `${name}: ${value ?? ""}` });
      cell.append(element("span", { class: "name" }, name), element("span", { class: "value" }, value === null ? "" : value.toLocaleString()));
      grid.append(cell);
    }
    container.append(grid);
  }

  function recordList(container, result) {
    const list = element("ol", { class: "record-list" });
    for (const record of (result.records || []).slice(0, MAX_ROWS_SHOWN)) {
      const item = element("li");
      item.append(fields(record));
      list.append(item);
    }
    container.append(list);
  }

  function fields(record) {
    const list = element("dl", { class: "record-fields" });
    for (const [name, value] of Object.entries(record)) {
      const shown = typeof value === "object" && value !== null ? JSON.stringify(value, null, 2) : display(value);
      const dd = element("dd");
      dd.append(element(typeof value === "object" && value !== null ? "pre" : "span", {}, shown));
      const copy = element("button", { type: "button", class: "copy small", "data-copy": shown, "aria-label": `Copy the value of ${name}` }, "Copy");
      dd.append(copy);
      list.append(element("dt", {}, name), dd);
    }
    return list;
  }

  // A sortable table; a record expands to all its fields; + / − on a cell call onPivot(field, value, include).
  function table(container, result, options = {}) {
    const names = columns(result);
    const kinds = types(result);
    let records = (result.records || []).slice();
    const wrap = element("div", { class: "result-table-wrap" });
    const tableEl = element("table", { class: "result-table" });
    const head = element("thead");
    const headRow = element("tr");
    headRow.append(element("th", { scope: "col" }, ""));
    let sortField = null, ascending = true;
    for (const name of names) {
      const th = element("th", { scope: "col", "aria-sort": "none" });
      const button = element("button", { type: "button", class: "sort", title: `Sort by ${name}` }, name);
      button.addEventListener("click", () => {
        ascending = sortField === name ? !ascending : true;
        sortField = name;
        const numeric = NUMERIC.has(kinds[name]);
        records.sort((a, b) => {
          const x = a[name], y = b[name];
          if (x === null || x === undefined) return 1;
          if (y === null || y === undefined) return -1;
          const order = numeric ? number(x) - number(y) : display(x).localeCompare(display(y));
          return ascending ? order : -order;
        });
        headRow.querySelectorAll("th").forEach((cell) => cell.setAttribute("aria-sort", "none"));
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        fill();
      });
      th.append(button);
      headRow.append(th);
    }
    head.append(headRow);
    const body = element("tbody");
    tableEl.append(head, body);
    function fill() {
      body.replaceChildren();
      for (const record of records.slice(0, MAX_ROWS_SHOWN)) {
        const row = element("tr", { "data-record": "" });
        const toggle = element("button", { type: "button", class: "expand", "aria-expanded": "false", "aria-label": "Show every field of this record" }, "▸");
        const first = element("td");
        first.append(toggle);
        row.append(first);
        for (const name of names) {
          const value = record[name];
          const cell = element("td", { "data-field": name });
          cell.append(element("span", { class: "v" }, display(value)));
          if (options.onPivot && (value === null || typeof value !== "object")) {
            const plus = element("button", { type: "button", class: "pivot", "data-pivot": "filter", "aria-label": `Filter for ${name} = ${display(value)}`, title: "Filter for this value" }, "+");
            const minus = element("button", { type: "button", class: "pivot", "data-pivot": "filterOut", "aria-label": `Filter out ${name} = ${display(value)}`, title: "Filter out this value" }, "−");
            const typed = NUMERIC.has(kinds[name]) && number(value) !== null && kinds[name] !== "duration" ? number(value) : value;
            plus.addEventListener("click", () => options.onPivot(name, typed, true));
            minus.addEventListener("click", () => options.onPivot(name, typed, false));
            cell.append(plus, minus);
          }
          row.append(cell);
        }
        body.append(row);
        toggle.addEventListener("click", () => {
          const open = toggle.getAttribute("aria-expanded") === "true";
          toggle.setAttribute("aria-expanded", String(!open));
          toggle.textContent = open ? "▸" : "▾";
          if (open) { row.nextSibling.remove(); return; }
          const detail = element("tr", { class: "record-detail" });
          const cell = element("td", { colspan: String(names.length + 1) });
          cell.append(fields(record));
          detail.append(cell);
          row.after(detail);
        });
      }
    }
    fill();
    wrap.append(tableEl);
    const total = (result.records || []).length;
    if (total > MAX_ROWS_SHOWN) wrap.append(element("p", { class: "muted" }, `Showing the first ${MAX_ROWS_SHOWN} of ${total} records; download for all.`));
    container.append(wrap);
  }

  // Draws `result` as `visualization` into `container` (emptied first). Returns "ok" or "empty".
  async function draw(container, result, visualization, options = {}) {
    container.replaceChildren();
    const records = result.records || [];
    if (!records.length) {
      container.append(element("p", { class: "empty-result" }, "No records in this timeframe."));
      return "empty";
    }
    const kind = visualization || "table";
    if (kind === "singleValue") singleValue(container, result, options.settings || {});
    else if (kind === "recordList") recordList(container, result);
    else if (kind === "honeycomb") honeycomb(container, result);
    else if (kind !== "table" && chartable(result)) await drawChart(container, result, kind);
    else if (kind !== "table") {
      container.append(element("p", { class: "note" }, "This result has no number to chart; shown as a table."));
      table(container, result, options);
    }
    if (kind === "table" || options.withTable) table(container, result, options);
    for (const note of (result.metadata && result.metadata.grail && result.metadata.grail.notifications) || []) {
      container.append(element("p", { class: "note" }, note.message));
    }
    return "ok";
  }

  function showError(container, failure) {
    container.replaceChildren();
    const box = element("div", { class: "query-error", role: "alert" });
    if (failure.where) box.append(element("strong", { class: "where" }, failure.where));
    box.append(element("span", {}, ` ${failure.message}`));
    container.append(box);
  }

  // Saves a document page's document with the version it read: resolves to the new version, or throws
  // an Error with the service's message (a 409 says someone saved meanwhile).
  async function save(url, name, version, content) {
    const body = new URLSearchParams({ name, version: String(version), content: JSON.stringify(content) });
    const response = await fetch(url, {
      method: "POST", credentials: "same-origin", body,
      headers: { "X-CSRF-Token": csrf(), Accept: "application/json" },
    });
    let answer = {};
    try { answer = await response.json(); } catch (_) { /* not JSON */ }
    if (!response.ok) throw new Error((answer.error && answer.error.message) || `Not saved (HTTP ${response.status})`);
    return answer.version;
  }

  // -- downloads -------------------------------------------------------------------------------------------
  function csv(result) {
    const names = columns(result);
    const quote = (text) => (/[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);
    const lines = [names.map(quote).join(",")];
    for (const record of result.records || []) lines.push(names.map((n) => quote(display(record[n]))).join(","));
    return lines.join("\r\n") + "\r\n";
  }
  function download(result, format, name) {
    const text = format === "csv" ? csv(result) : JSON.stringify(result.records || [], null, 2);
    const blob = new Blob([text], { type: format === "csv" ? "text/csv" : "application/json" });
    const link = element("a", { href: URL.createObjectURL(blob), download: `${name || "result"}.${format}` });
    document.body.append(link);
    link.click();
    setTimeout(() => { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
  }

  return { QueryFailure, chartSpec, csv, download, draw, literal, pivot, run, save, showError, substitute, uses };
})();
window.TLResults = TLResults;

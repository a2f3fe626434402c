// Threatlake's small progressive enhancement: theme, copy buttons, dialogs, the timeframe picker, charts
// (ECharts, loaded only on pages that have one) and list keys. Pages work without it where reasonable.
"use strict";

const Threatlake = (() => {
  const $ = (selector, root = document) => root.querySelector(selector);
  const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

  // -- theme ---------------------------------------------------------------------------------------------
  function currentTheme() {
    const set = document.documentElement.dataset.theme;
    if (set) return set;
    return window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }
  function toggleTheme() {
    const next = currentTheme() === "dark" ? "light" : "dark";
    document.documentElement.dataset.theme = next;
    document.cookie = `tl_theme=${next}; path=/; max-age=31536000; samesite=lax`;
    $$("[data-chart]").forEach(drawChart);
  }

  // -- copy ----------------------------------------------------------------------------------------------
  async function copy(button) {
    const text = button.dataset.copy;
    try {
      await navigator.clipboard.writeText(text);
    } catch (_) {
      const area = document.createElement("textarea");
      area.value = text;
      document.body.append(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    button.dataset.copied = "";
    setTimeout(() => delete button.dataset.copied, 1500);
  }

  // -- charts --------------------------------------------------------------------------------------------
  let echartsLoading = null;
  function loadECharts() {
    if (window.echarts) return Promise.resolve(window.echarts);
    if (!echartsLoading) {
      const src = $('meta[name="tl-echarts"]').content;
      echartsLoading = new Promise((resolve, reject) => {
        const script = document.createElement("script");
        script.src = src;
        script.onload = () => resolve(window.echarts);
        script.onerror = reject;
        document.head.append(script);
      });
    }
    return echartsLoading;
  }
  function css(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }
  const RISK_COLOURS = { CRITICAL: "--critical", HIGH: "--high", MEDIUM: "--medium", LOW: "--low", NONE: "--none", NOT_AVAILABLE: "--none" };

  // spec: {kind: bar|line|area|pie, x: [...], time: bool, stacked: bool, series: [{name, data}]}
  function chartOption(spec) {
    const text = css("--text"), muted = css("--muted"), border = css("--border");
    const base = {
      animation: false,
      textStyle: { color: text },
      tooltip: { trigger: spec.kind === "pie" ? "item" : "axis" },
      legend: { type: "scroll", bottom: 0, textStyle: { color: muted } },
      grid: { left: 8, right: 16, top: 16, bottom: 36, containLabel: true },
    };
    const colour = (name) => (RISK_COLOURS[name] ? css(RISK_COLOURS[name]) : undefined);
    if (spec.kind === "pie") {
      return { ...base, series: [{ type: "pie", radius: spec.donut ? ["45%", "70%"] : "70%",
        data: (spec.series[0] || { data: [] }).data.map((value, i) => ({ value, name: spec.x[i], itemStyle: { color: colour(spec.x[i]) } })) }] };
    }
    const type = spec.kind === "area" ? "line" : spec.kind;
    return {
      ...base,
      xAxis: spec.time
        ? { type: "time", axisLabel: { color: muted }, axisLine: { lineStyle: { color: border } } }
        : { type: "category", data: spec.x, axisLabel: { color: muted, interval: 0, overflow: "truncate", width: 120 }, axisLine: { lineStyle: { color: border } } },
      yAxis: { type: "value", minInterval: 1, axisLabel: { color: muted }, splitLine: { lineStyle: { color: border } } },
      series: spec.series.map((series) => ({
        name: series.name,
        type,
        stack: spec.stacked ? "total" : undefined,
        areaStyle: spec.kind === "area" ? {} : undefined,
        showSymbol: false,
        itemStyle: colour(series.name) ? { color: colour(series.name) } : undefined,
        data: spec.time ? spec.x.map((t, i) => [t, series.data[i]]) : series.data,
      })),
    };
  }
  async function drawChart(element) {
    const source = element.querySelector('script[type="application/json"]');
    if (!source) return;
    const spec = JSON.parse(source.textContent);
    const echarts = await loadECharts();
    const existing = echarts.getInstanceByDom(element);
    if (existing) existing.dispose();
    const chart = echarts.init(element, null, { renderer: "canvas" });
    chart.setOption(chartOption(spec));
    element.dataset.state = "ok";
  }
  const resizeAll = () => { if (window.echarts) $$("[data-chart]").forEach((el) => { const c = window.echarts.getInstanceByDom(el); if (c) c.resize(); }); };

  // -- list keys: j/k move, Enter opens, / searches, s sets status, ? helps ------------------------------
  function rows() { return $$("[data-row]"); }
  function select(index) {
    const all = rows();
    if (!all.length) return;
    const next = Math.max(0, Math.min(all.length - 1, index));
    all.forEach((row, i) => row.setAttribute("aria-selected", i === next ? "true" : "false"));
    all[next].scrollIntoView({ block: "nearest" });
    const link = all[next].querySelector("a[data-open]");
    if (link) link.focus({ preventScroll: true });
  }
  function selectedIndex() { return rows().findIndex((row) => row.getAttribute("aria-selected") === "true"); }
  function onKey(event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target.closest("input, textarea, select, [contenteditable], .cm-editor")) {
      if (event.key === "Escape") target.blur();
      return;
    }
    if (event.key === "?") { const help = $("#keys-help"); if (help) help.showModal(); event.preventDefault(); return; }
    if (event.key === "/") { const search = $("[data-search]"); if (search) { search.focus(); search.select(); event.preventDefault(); } return; }
    if (!rows().length) return;
    if (event.key === "j") { select(selectedIndex() + 1); event.preventDefault(); }
    else if (event.key === "k") { select(Math.max(0, selectedIndex() - 1)); event.preventDefault(); }
    else if (event.key === "Enter" && selectedIndex() >= 0) {
      const link = rows()[selectedIndex()].querySelector("a[data-open]");
      if (link) { link.click(); event.preventDefault(); }
    } else if (event.key === "s" && selectedIndex() >= 0) {
      const row = rows()[selectedIndex()];
      const status = row.querySelector("[data-status-select]");
      const link = row.querySelector("a[data-open]");
      if (status) status.focus();
      else if (link) window.location.assign(link.href + "#triage");
      event.preventDefault();
    }
  }

  // -- wiring ----------------------------------------------------------------------------------------------
  function enhance(root) {
    $$("[data-chart]", root).forEach((element) => drawChart(element).catch((error) => {
      element.dataset.state = "error";
      element.textContent = `The chart could not be drawn: ${error}`;
    }));
  }
  document.addEventListener("click", (event) => {
    const copyButton = event.target.closest("[data-copy]");
    if (copyButton) { copy(copyButton); return; }
    if (event.target.closest("[data-theme-toggle]")) { toggleTheme(); return; }
    const opener = event.target.closest("[data-open-dialog]");
    if (opener) {
      const dialog = document.getElementById(opener.dataset.openDialog);
      if (dialog) { event.preventDefault(); dialog.showModal(); }
    }
  });
  document.addEventListener("change", (event) => {
    const preset = event.target.closest("[data-timeframe-preset]");
    if (preset && preset.value) {
      const form = preset.form;
      form.elements.from.value = preset.value;
      form.elements.to.value = "now()";
      form.requestSubmit();
    }
    const auto = event.target.closest("[data-autosubmit]");
    if (auto && auto.form) auto.form.requestSubmit();
  });
  document.addEventListener("submit", (event) => {
    const message = event.target.dataset.confirm;
    if (message && !window.confirm(message)) event.preventDefault();
  });
  document.addEventListener("keydown", onKey);
  document.addEventListener("htmx:afterSettle", (event) => enhance(event.target));
  window.addEventListener("resize", resizeAll);
  document.addEventListener("DOMContentLoaded", () => {
    enhance(document);
    if (window.location.hash === "#triage") { const status = $("#set-status"); if (status) status.focus(); }
  });

  return { chartOption, drawChart, enhance, loadECharts, copy };
})();
window.Threatlake = Threatlake;

// The wall screen (cases/wall.html): the clock, the two charts (ECharts, dark), and what happens
// around the board's refresh. htmx asks for the board every minute (hx-trigger on #wall-board) and
// swaps it whole; a failed refresh swaps nothing, so the last figures stay, the status line says the
// connection is lost and a retry comes sooner than the next minute.
(function () {
  "use strict";
  var RETRY_MS = 15000;
  var charts = [];
  var retryTimer = null;
  // The server's clock minus this screen's: a TV's own clock is often wrong.
  var skew = 0;

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  // A hundredth of the width of the largest 16:9 box in the window: the unit of wall.css (--u).
  function unit() {
    return Math.min(window.innerWidth / 100, (window.innerHeight * 1.7778) / 100);
  }

  function readSkew() {
    var updated = document.getElementById("wall-updated");
    var serverMs = updated && Number(updated.getAttribute("data-server-ms"));
    if (serverMs) skew = serverMs - Date.now();
  }

  function tick() {
    var clock = document.getElementById("wall-clock");
    var date = document.getElementById("wall-date");
    if (!clock) return;
    var lang = document.documentElement.lang || "zh-hans";
    var locale = lang.indexOf("zh") === 0 ? "zh-CN" : lang;
    var zone = clock.getAttribute("data-time-zone") || undefined;
    var now = new Date(Date.now() + skew);
    try {
      clock.textContent = new Intl.DateTimeFormat(locale, {
        timeZone: zone, hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23"
      }).format(now);
      if (date) {
        date.textContent = new Intl.DateTimeFormat(locale, { timeZone: zone, dateStyle: "full" }).format(now);
      }
    } catch (e) {
      clock.textContent = now.toTimeString().slice(0, 8);
    }
  }

  function disposeCharts() {
    charts.forEach(function (c) { c.dispose(); });
    charts = [];
  }

  function drawCharts(animate) {
    disposeCharts();
    var source = document.getElementById("wall-data");
    if (!source || !window.echarts) return;
    var data = JSON.parse(source.textContent);
    var u = unit();
    var font = getComputedStyle(document.body).fontFamily;
    var muted = "#9aadc6";
    var line = "#1d3350";
    var text = "#edf3fb";
    var axisFont = Math.round(u * 0.95);
    var common = {
      backgroundColor: "transparent",
      animation: animate,
      textStyle: { fontFamily: font, color: text }
    };
    var trendEl = document.getElementById("wall-trend-chart");
    if (trendEl) {
      var trend = echarts.init(trendEl, "dark", { renderer: "svg" });
      trend.setOption(Object.assign({}, common, {
        legend: {
          data: [data.labels.new, data.labels.closed], top: 0, right: 0,
          textStyle: { color: text, fontSize: Math.round(u * 1.05) },
          itemWidth: Math.round(u * 1.6), itemHeight: Math.round(u * 0.7)
        },
        grid: { left: 4, right: Math.round(u * 0.8), top: Math.round(u * 2.2), bottom: 2, containLabel: true },
        xAxis: {
          type: "category", data: data.trend.days, boundaryGap: false, axisTick: { show: false },
          axisLine: { lineStyle: { color: line } },
          axisLabel: { color: muted, fontSize: axisFont, interval: 6 }
        },
        yAxis: {
          type: "value", minInterval: 1, splitNumber: 4,
          splitLine: { lineStyle: { color: line } },
          axisLabel: { color: muted, fontSize: axisFont }
        },
        series: [
          {
            name: data.labels.new, type: "line", smooth: true, data: data.trend.new, color: "#4ea5ff",
            symbol: "none", lineStyle: { width: Math.max(2, u * 0.22) },
            areaStyle: { opacity: 0.18 }
          },
          {
            name: data.labels.closed, type: "line", smooth: true, data: data.trend.closed, color: "#3fd18b",
            symbol: "none", lineStyle: { width: Math.max(2, u * 0.22) }
          }
        ]
      }));
      charts.push(trend);
    }
    var catEl = document.getElementById("wall-category-chart");
    if (catEl && data.categories.length) {
      var cats = data.categories.slice().reverse();
      var bar = echarts.init(catEl, "dark", { renderer: "svg" });
      bar.setOption(Object.assign({}, common, {
        grid: { left: 4, right: Math.round(u * 3), top: Math.round(u * 0.5), bottom: 0, containLabel: true },
        xAxis: { type: "value", minInterval: 1, show: false },
        yAxis: {
          type: "category", data: cats.map(function (c) { return c.name; }),
          axisTick: { show: false }, axisLine: { show: false },
          axisLabel: { color: text, fontSize: Math.round(u * 1.1) }
        },
        series: [{
          type: "bar", data: cats.map(function (c) { return c.value; }), color: "#3fd3e6",
          barMaxWidth: Math.round(u * 1.6), barCategoryGap: "30%",
          itemStyle: { borderRadius: [0, 4, 4, 0] },
          label: { show: true, position: "right", color: text, fontSize: Math.round(u * 1.15), fontWeight: 700 }
        }]
      }));
      charts.push(bar);
    }
  }

  function setStatus(kind) {
    var status = document.getElementById("wall-status");
    var wall = document.querySelector(".wall");
    if (!status || !wall) return;
    if (!kind) {
      status.hidden = true;
      status.textContent = "";
      wall.classList.remove("wall--offline");
      return;
    }
    status.textContent = status.getAttribute(kind === "signed-out" ? "data-signed-out" : "data-offline");
    status.hidden = false;
    wall.classList.add("wall--offline");
  }

  function failed(board, kind) {
    setStatus(kind);
    if (retryTimer === null) {
      retryTimer = window.setTimeout(function () {
        retryTimer = null;
        if (window.htmx) htmx.trigger(board, "wall-retry");
      }, RETRY_MS);
    }
  }

  function keepAwake() {
    if (navigator.wakeLock && document.visibilityState === "visible") {
      navigator.wakeLock.request("screen").catch(function () {});
    }
  }

  ready(function () {
    var board = document.getElementById("wall-board");
    if (!board) return;
    readSkew();
    tick();
    window.setInterval(tick, 1000);
    drawCharts(true);

    board.addEventListener("htmx:beforeSwap", function (evt) {
      var xhr = evt.detail.xhr;
      if (evt.detail.shouldSwap && !xhr.getResponseHeader("X-Wall-Board")) {
        // A redirect answered with another page (the login page): keep the figures.
        evt.detail.shouldSwap = false;
        var login = board.getAttribute("data-login-url");
        failed(board, login && (xhr.responseURL || "").indexOf(login) !== -1 ? "signed-out" : "offline");
        return;
      }
      if (evt.detail.shouldSwap) disposeCharts();
    });
    board.addEventListener("htmx:afterSwap", function () {
      window.clearTimeout(retryTimer);
      retryTimer = null;
      setStatus(null);
      readSkew();
      tick();
      drawCharts(false);
    });
    ["htmx:sendError", "htmx:responseError", "htmx:timeout"].forEach(function (name) {
      board.addEventListener(name, function () { failed(board, "offline"); });
    });

    var resizing = null;
    window.addEventListener("resize", function () {
      window.clearTimeout(resizing);
      resizing = window.setTimeout(function () { drawCharts(false); }, 150);
    });
    keepAwake();
    document.addEventListener("visibilitychange", keepAwake);
  });
})();

// The overview's two charts (ECharts, vendored): new and closed cases per day, and new cases by category.
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }
  ready(function () {
    var source = document.getElementById("ov-data");
    if (!source || !window.echarts) return;
    var data = JSON.parse(source.textContent);
    var lang = document.documentElement.lang || "zh-hans";
    var zh = lang.indexOf("zh") === 0;
    var font = getComputedStyle(document.body).fontFamily;
    var charts = [];
    var trendEl = document.getElementById("ov-trend-chart");
    if (trendEl) {
      var trend = echarts.init(trendEl, null, { renderer: "svg" });
      trend.setOption({
        textStyle: { fontFamily: font },
        tooltip: { trigger: "axis" },
        legend: { data: [zh ? "新增" : "New", zh ? "结案" : "Closed"], top: 0 },
        grid: { left: 40, right: 16, top: 36, bottom: 28 },
        xAxis: { type: "category", data: data.trend.days, axisTick: { show: false } },
        yAxis: { type: "value", minInterval: 1 },
        series: [
          { name: zh ? "新增" : "New", type: "line", smooth: true, data: data.trend.new, color: "#1f5fbf" },
          { name: zh ? "结案" : "Closed", type: "line", smooth: true, data: data.trend.closed, color: "#1e8a50" }
        ]
      });
      charts.push(trend);
    }
    var catEl = document.getElementById("ov-category-chart");
    if (catEl && data.categories.length) {
      var cats = data.categories.slice().reverse();
      var bar = echarts.init(catEl, null, { renderer: "svg" });
      bar.setOption({
        textStyle: { fontFamily: font },
        tooltip: { trigger: "item" },
        grid: { left: 8, right: 40, top: 8, bottom: 8, containLabel: true },
        xAxis: { type: "value", minInterval: 1 },
        yAxis: { type: "category", data: cats.map(function (c) { return c.name; }), axisTick: { show: false } },
        series: [{ type: "bar", data: cats.map(function (c) { return c.value; }), color: "#1f5fbf",
                   label: { show: true, position: "right" } }]
      });
      charts.push(bar);
    }
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  });
})();

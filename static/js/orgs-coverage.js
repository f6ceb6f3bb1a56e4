// The coverage dashboard's charts (ECharts, SVG): rates by region and the monthly snapshots. Redrawn
// when htmx swaps the panel (a drill-down); a file, since the CSP allows no inline script.
(function () {
  "use strict";
  var charts = [];
  function draw() {
    charts.forEach(function (c) { c.dispose(); });
    charts = [];
    var src = document.getElementById("cov-data");
    if (!src || !window.echarts) return;
    var d = JSON.parse(src.textContent);
    var font = getComputedStyle(document.body).fontFamily;
    var bar = document.getElementById("cov-region-chart");
    if (bar && d.regions.length) {
      var b = echarts.init(bar, null, { renderer: "svg" });
      b.setOption({
        textStyle: { fontFamily: font },
        tooltip: { trigger: "axis", valueFormatter: function (v) { return v + "%"; } },
        grid: { left: 8, right: 16, top: 28, bottom: 8, containLabel: true },
        xAxis: { type: "category", data: d.regions, axisLabel: { interval: 0, rotate: d.regions.length > 6 ? 30 : 0 } },
        yAxis: { type: "value", max: 100, name: d.rate_label },
        series: [{ type: "bar", data: d.rates, color: "#1f5fbf", barMaxWidth: 36, label: { show: true, position: "top" } }]
      });
      charts.push(b);
    }
    var line = document.getElementById("cov-month-chart");
    if (line && d.months.length) {
      var l = echarts.init(line, null, { renderer: "svg" });
      l.setOption({
        textStyle: { fontFamily: font },
        tooltip: { trigger: "axis", valueFormatter: function (v) { return v + "%"; } },
        grid: { left: 40, right: 16, top: 28, bottom: 28 },
        xAxis: { type: "category", data: d.months },
        yAxis: { type: "value", max: 100, name: d.rate_label },
        series: [{ type: "line", data: d.series, color: "#1e8a50", symbolSize: 8 }]
      });
      charts.push(l);
    }
  }
  if (document.readyState !== "loading") draw();
  else document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:afterSettle", function (e) {
    if (e.target && e.target.id === "coverage-panel") draw();
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();

// The co-governance charts (ECharts, SVG): the town's figures by village and per pairing, and a
// pairing's support month by month. The tables on the same pages say the same without a script; a
// file, since the CSP allows no inline script. On the support form, the amount shows only for funds,
// loans and other support, and the matter only for a matter taken up.
(function () {
  "use strict";
  var charts = [];
  var font = "";

  function data(id) {
    var src = document.getElementById(id);
    return src ? JSON.parse(src.textContent) : null;
  }

  function chart(id, option) {
    var el = document.getElementById(id);
    if (!el || !window.echarts) return;
    var c = echarts.init(el, null, { renderer: "svg" });
    option.textStyle = { fontFamily: font };
    c.setOption(option);
    charts.push(c);
  }

  function bars(names, series, horizontal) {
    // Horizontal bars read top down, in the table's order.
    var category = { type: "category", data: names, inverse: !!horizontal, axisLabel: { interval: 0, rotate: !horizontal && names.length > 4 ? 30 : 0, width: 90, overflow: "truncate" } };
    var value = { type: "value", minInterval: 1 };
    return {
      tooltip: { trigger: "axis" },
      legend: { top: 0, type: "scroll" },
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      xAxis: horizontal ? value : category,
      yAxis: horizontal ? category : value,
      series: series.map(function (s) {
        return { type: "bar", name: s[0], data: s[1], color: s[2], barMaxWidth: 24 };
      })
    };
  }

  function draw() {
    charts.forEach(function (c) { c.dispose(); });
    charts = [];
    font = getComputedStyle(document.body).fontFamily;
    var f = data("gp-figures-data");
    if (f) {
      var l = f.labels;
      chart("gp-village-chart", bars(f.villages, [
        [l.meetings, f.meetings, "#1f5fbf"],
        [l.due, f.due, "#9aa5b1"],
        [l.on_time, f.on_time, "#1e8a50"],
        [l.claimed, f.claimed, "#b7791f"],
        [l.completed, f.completed, "#7b3fb5"]
      ], false));
      if (f.partners.length) {
        chart("gp-pairing-chart", bars(f.partners, [
          [l.funds, f.funds, "#1e8a50"],
          [l.loans, f.loans, "#b7791f"]
        ], true));
      }
    }
    var p = data("gp-pairing-data");
    if (p) {
      var option = bars(p.months, [
        [p.labels.funds, p.funds, "#1e8a50"],
        [p.labels.loans, p.loans, "#b7791f"]
      ], false);
      option.yAxis = [{ type: "value" }, { type: "value", minInterval: 1, splitLine: { show: false } }];
      option.series.push({ type: "line", name: p.labels.visits, data: p.visits, yAxisIndex: 1, color: "#1f5fbf", symbolSize: 7 });
      chart("gp-month-chart", option);
    }
  }

  // The support form: show the amount and matter fields only where they apply.
  function supportForm() {
    var kind = document.getElementById("id_kind");
    var amount = document.getElementById("id_amount");
    var matter = document.getElementById("id_matter");
    if (!kind || !amount || !matter || !document.getElementById("id_on")) return;
    function fieldOf(el) { return el.closest(".form-field"); }
    function show(el, wanted) {
      var field = fieldOf(el);
      field.hidden = !wanted && !field.classList.contains("has-error");
    }
    function update() {
      var k = kind.value;
      show(amount, k === "funds" || k === "loan" || k === "other");
      show(matter, k === "matter");
    }
    kind.addEventListener("change", update);
    update();
  }

  function start() {
    draw();
    supportForm();
  }
  if (document.readyState !== "loading") start();
  else document.addEventListener("DOMContentLoaded", start);
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();

// The report page's "similar reports nearby" step (issue 13): before the report is sent, ask the API
// for open reports near the pin of the same category or with alike words; if there are some, offer
// to add the reporter to one ("Add mine to this one": posts #follow-form with its tracking number)
// or to send the report anyway ("Report it separately"). Signed-in reporters only (the page sets
// data-similar-url); without JavaScript, or when the question fails, the report is sent as it is.
(function () {
  "use strict";

  function fmt(template, value) {
    return (template || "").replace("%s", value);
  }

  function shortTime(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return "";
    function two(n) {
      return (n < 10 ? "0" : "") + n;
    }
    return d.getFullYear() + "-" + two(d.getMonth() + 1) + "-" + two(d.getDate()) + " " + two(d.getHours()) + ":" + two(d.getMinutes());
  }

  function value(form, name) {
    var field = form.elements[name];
    return field && field.value ? String(field.value).trim() : "";
  }

  function render(panel, items) {
    var list = panel.querySelector("[data-similar-list]");
    var title = panel.querySelector("[data-similar-title]");
    title.textContent =
      items.length === 1 ? panel.dataset.msgTitleOne : fmt(panel.dataset.msgTitle, String(items.length));
    list.textContent = "";
    items.forEach(function (item) {
      var li = document.createElement("li");
      li.className = "similar__item";
      if (item.photo_url) {
        var img = document.createElement("img");
        img.className = "similar__photo";
        img.src = item.photo_url;
        img.alt = "";
        img.loading = "lazy";
        li.appendChild(img);
      }
      var body = document.createElement("div");
      body.className = "similar__body";
      var what = document.createElement("p");
      what.className = "similar__what";
      what.textContent = item.category + (item.address ? " · " + item.address : "");
      body.appendChild(what);
      if (item.description) {
        var text = document.createElement("p");
        text.className = "similar__text small";
        text.textContent = item.description.length > 60 ? item.description.slice(0, 60) + "…" : item.description;
        body.appendChild(text);
      }
      var meta = document.createElement("p");
      meta.className = "similar__meta muted small";
      meta.textContent =
        fmt(panel.dataset.msgDistance, String(Math.round(item.distance_m))) +
        " · " +
        fmt(panel.dataset.msgReported, shortTime(item.created_at)) +
        " · " +
        item.state_label;
      body.appendChild(meta);
      var join = document.createElement("button");
      join.type = "submit";
      join.className = "btn btn-primary similar__join";
      join.setAttribute("form", "follow-form");
      join.name = "follow";
      join.value = item.tracking_number;
      join.textContent = panel.dataset.msgJoin;
      body.appendChild(join);
      li.appendChild(body);
      list.appendChild(li);
    });
    panel.hidden = false;
    panel.focus();
    panel.scrollIntoView({ block: "start" });
  }

  function init() {
    var form = document.querySelector("[data-report-form][data-similar-url]");
    var panel = document.querySelector("[data-similar]");
    if (!form || !panel || !window.fetch) return;
    var asked = false;
    var separate = panel.querySelector("[data-similar-separate]");
    separate.addEventListener("click", function () {
      panel.hidden = true;
      asked = true;
      if (form.requestSubmit) form.requestSubmit();
      else form.submit();
    });
    // In the capture phase on the document: before the page's own submit handlers (report.js marks
    // the form as sending), which then run when the report is really sent.
    document.addEventListener(
      "submit",
      function (event) {
        if (event.target !== form || asked) return;
        var lon = value(form, "lon");
        var lat = value(form, "lat");
        var category = value(form, "category");
        var text = value(form, "description");
        if (!lon || !lat || (!category && !text)) return;
        event.preventDefault();
        event.stopPropagation();
        asked = true;
        var params = new URLSearchParams({ lon: lon, lat: lat, crs: value(form, "crs") || "wgs84" });
        if (category) params.set("category", category);
        if (text) params.set("text", text.slice(0, 2000));
        var send = function () {
          if (form.requestSubmit) form.requestSubmit();
          else form.submit();
        };
        fetch(form.dataset.similarUrl + "?" + params.toString(), {
          credentials: "same-origin",
          headers: { Accept: "application/json" },
        })
          .then(function (response) {
            return response.ok ? response.json() : { items: [] };
          })
          .then(function (data) {
            if (data.items && data.items.length) render(panel, data.items);
            else send();
          })
          .catch(send);
      },
      true
    );
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();

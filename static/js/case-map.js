// A small map of one case: its point (a pin), or on the public page a circle of about 100 m, and
// the outline of its grid when the page gives one. Data comes from the page's json_script.
(function () {
  "use strict";

  var GRID_STYLE = { color: "#1f5fbf", weight: 2, opacity: 0.9, fillColor: "#1f5fbf", fillOpacity: 0.08, dashArray: "6 4" };
  var AREA_STYLE = { color: "#c8372d", weight: 2, fillColor: "#c8372d", fillOpacity: 0.15 };
  var PIN_HTML =
    '<svg viewBox="0 0 36 48" width="30" height="40" aria-hidden="true">' +
    '<path d="M18 1C8.6 1 1 8.6 1 18c0 12.4 15 27.5 15.6 28.1a2 2 0 0 0 2.8 0C20 45.5 35 30.4 35 18 35 8.6 27.4 1 18 1z" fill="#c8372d" stroke="#fff" stroke-width="2"/>' +
    '<circle cx="18" cy="18" r="6" fill="#fff"/></svg>';

  function draw(container) {
    if (typeof L === "undefined") return;
    var source = document.getElementById(container.dataset.geo);
    if (!source) return;
    var data = JSON.parse(source.textContent);
    if (!data.point) return;
    var tileUrl = container.dataset.tileUrl || "";
    var map = L.map(container, { zoomSnap: 0.25, scrollWheelZoom: false, tap: false, attributionControl: Boolean(tileUrl) });
    if (tileUrl) {
      container.classList.add("map--tiles");
      L.tileLayer(tileUrl, { attribution: container.dataset.tileAttribution || "", maxZoom: 19 }).addTo(map);
      // Place names sent as tiles of their own (天地图), drawn above the map.
      if (container.dataset.tileLabelsUrl) L.tileLayer(container.dataset.tileLabelsUrl, { maxZoom: 19 }).addTo(map);
    }
    var bounds = L.latLngBounds([data.point, data.point]);
    if (data.outline) {
      var outline = L.geoJSON(data.outline, { style: GRID_STYLE, interactive: false }).addTo(map);
      bounds.extend(outline.getBounds());
    }
    if (data.radius_m) {
      map.setView(data.point, 16);
      var area = L.circle(data.point, Object.assign({ radius: data.radius_m, interactive: false }, AREA_STYLE)).addTo(map);
      bounds.extend(area.getBounds());
    } else {
      var icon = L.divIcon({ className: "report-pin", html: PIN_HTML, iconSize: [30, 40], iconAnchor: [15, 38] });
      L.marker(data.point, { icon: icon, interactive: false, keyboard: false }).addTo(map);
    }
    function fit() {
      if (data.outline || data.radius_m) map.fitBounds(bounds, { padding: [24, 24], maxZoom: 17 });
      else map.setView(data.point, 17);
    }
    fit();
    window.setTimeout(function () {
      map.invalidateSize();
      fit();
    }, 150);
    container.dataset.ready = "1";
  }

  function init() {
    document.querySelectorAll("[data-case-map]").forEach(draw);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();

// The placing map (cases/placing.html): the town's grid outlines and the case's point; a tap inside
// a grid puts the pin there, fills the form's lon/lat (in the map's coordinates, which the server
// converts) and enables "Place it here". A tap outside every outline says so and keeps the button off.
(function () {
  "use strict";

  var GRID_STYLE = { color: "#1f5fbf", weight: 2, opacity: 0.9, fillColor: "#1f5fbf", fillOpacity: 0.06 };
  var CHOSEN_STYLE = { color: "#2f8f6f", weight: 3, opacity: 1, fillColor: "#2f8f6f", fillOpacity: 0.18 };
  var PIN_HTML =
    '<svg viewBox="0 0 36 48" width="30" height="40" aria-hidden="true">' +
    '<path d="M18 1C8.6 1 1 8.6 1 18c0 12.4 15 27.5 15.6 28.1a2 2 0 0 0 2.8 0C20 45.5 35 30.4 35 18 35 8.6 27.4 1 18 1z" fill="#2f8f6f" stroke="#fff" stroke-width="2"/>' +
    '<circle cx="18" cy="18" r="6" fill="#fff"/></svg>';
  var OLD_HTML =
    '<svg viewBox="0 0 20 20" width="18" height="18" aria-hidden="true"><circle cx="10" cy="10" r="7" fill="#c8372d" stroke="#fff" stroke-width="2"/></svg>';

  // Whether a point (lng, lat) lies inside a GeoJSON Polygon or MultiPolygon (even-odd rule).
  function inRing(x, y, ring) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  }
  function inPolygon(x, y, rings) {
    if (!rings.length || !inRing(x, y, rings[0])) return false;
    for (var k = 1; k < rings.length; k++) if (inRing(x, y, rings[k])) return false;
    return true;
  }
  function contains(geometry, x, y) {
    if (geometry.type === "Polygon") return inPolygon(x, y, geometry.coordinates);
    if (geometry.type === "MultiPolygon") {
      for (var p = 0; p < geometry.coordinates.length; p++) if (inPolygon(x, y, geometry.coordinates[p])) return true;
    }
    return false;
  }

  function draw(container) {
    if (typeof L === "undefined") return;
    var source = document.getElementById(container.dataset.config);
    if (!source) return;
    var config = JSON.parse(source.textContent);
    var form = document.querySelector("[data-placing-form]");
    var submit = form.querySelector("[data-placing-submit]");
    var status = document.querySelector("[data-placing-status]");
    var tileUrl = container.dataset.tileUrl || "";
    var map = L.map(container, { zoomSnap: 0.25, tap: false, attributionControl: Boolean(tileUrl) });
    if (tileUrl) {
      container.classList.add("map--tiles");
      L.tileLayer(tileUrl, { attribution: container.dataset.tileAttribution || "", maxZoom: 19 }).addTo(map);
      if (container.dataset.tileLabelsUrl) L.tileLayer(container.dataset.tileLabelsUrl, { maxZoom: 19 }).addTo(map);
    }
    var layers = [];
    config.outlines.forEach(function (item) {
      var layer = L.geoJSON(item.g, { style: GRID_STYLE, interactive: false }).addTo(map);
      layer.bindTooltip(item.name, { sticky: true });
      layers.push({ item: item, layer: layer });
    });
    if (config.point) {
      L.marker(config.point, {
        icon: L.divIcon({ className: "placing-old", html: OLD_HTML, iconSize: [18, 18], iconAnchor: [9, 9] }),
        interactive: false,
        keyboard: false,
      }).addTo(map);
    }
    function fit() {
      if (config.bounds) map.fitBounds([[config.bounds[1], config.bounds[0]], [config.bounds[3], config.bounds[2]]], { padding: [12, 12] });
      else if (config.point) map.setView(config.point, 16);
      else map.setView([0, 0], 2);
    }
    fit();
    window.setTimeout(function () {
      map.invalidateSize();
      fit();
    }, 150);

    var pin = null;
    var chosen = null;
    map.on("click", function (event) {
      var x = event.latlng.lng, y = event.latlng.lat;
      var hit = null;
      for (var i = 0; i < layers.length; i++) if (contains(layers[i].item.g, x, y)) { hit = layers[i]; break; }
      if (chosen) chosen.layer.setStyle(GRID_STYLE);
      chosen = hit;
      if (!hit && layers.length) {
        if (pin) { map.removeLayer(pin); pin = null; }
        form.querySelector("[data-lon]").value = "";
        form.querySelector("[data-lat]").value = "";
        submit.disabled = true;
        status.textContent = config.labels.outside;
        container.dataset.chosen = "";
        return;
      }
      if (hit) hit.layer.setStyle(CHOSEN_STYLE);
      var icon = L.divIcon({ className: "report-pin", html: PIN_HTML, iconSize: [30, 40], iconAnchor: [15, 38] });
      if (pin) pin.setLatLng(event.latlng);
      else pin = L.marker(event.latlng, { icon: icon, interactive: false, keyboard: false }).addTo(map);
      form.querySelector("[data-lon]").value = x.toFixed(6);
      form.querySelector("[data-lat]").value = y.toFixed(6);
      submit.disabled = false;
      status.textContent = config.labels.chosen + (hit ? " " + hit.item.name : "");
      container.dataset.chosen = "1";
    });
    container.dataset.ready = "1";
  }

  function init() {
    document.querySelectorAll("[data-placing-map]").forEach(draw);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();

// The map of open cases for staff: grid outlines, one marker per case coloured by its step (red
// when overdue), a popup linking to the case. Data comes from the page ({{ geo|json_script }});
// with no tile URL configured everything is drawn on a plain background.
(function () {
  "use strict";

  var GRID_STYLE = { color: "#2f8f6f", weight: 1.5, opacity: 0.9, dashArray: "5 4", fillColor: "#2f8f6f", fillOpacity: 0.06 };
  var FIT = { paddingTopLeft: [48, 24], paddingBottomRight: [24, 24], maxZoom: 17 };
  // Above this many grids their names would cover the markers; they show on hover instead.
  var MAX_PERMANENT_LABELS = 12;

  function text(tag, value, className) {
    var el = document.createElement(tag);
    el.textContent = value;
    if (className) el.className = className;
    return el;
  }

  function popup(item, labels) {
    var box = document.createElement("div");
    box.className = "work-popup";
    var link = text("a", item.n, "work-popup__number");
    link.href = item.url;
    box.appendChild(link);
    if (item.late) box.appendChild(text("span", labels.overdue || "", "badge badge-red"));
    if (item.urgent) box.appendChild(text("span", labels.urgent || "", "badge badge-red"));
    box.appendChild(text("div", item.category, "work-popup__category"));
    box.appendChild(text("div", item.state, "work-popup__state"));
    if (item.address) box.appendChild(text("div", item.address, "work-popup__address"));
    var open = text("a", (labels.open || "") + " ›", "work-popup__open");
    open.href = item.url;
    box.appendChild(open);
    return box;
  }

  function draw(container) {
    if (typeof L === "undefined") return;
    var source = document.getElementById(container.dataset.geo);
    if (!source) return;
    var data = JSON.parse(source.textContent);
    var tileUrl = container.dataset.tileUrl || "";
    var colours = data.colours || {};
    var labels = data.labels || {};

    var map = L.map(container, {
      attributionControl: Boolean(tileUrl),
      zoomSnap: 0.25,
      scrollWheelZoom: false,
      // Thousands of markers draw far faster on one canvas than as SVG elements.
      preferCanvas: true,
      tap: false
    });
    if (tileUrl) {
      container.classList.add("map--tiles");
      L.tileLayer(tileUrl, { attribution: container.dataset.tileAttribution || "", maxZoom: 19 }).addTo(map);
    }

    // The canvas renderer needs a view before anything is added: collect the layers and their
    // bounds first, set the view, then add them.
    var bounds = L.latLngBounds([]);
    var layers = [];
    var grids = data.grids || [];
    var permanent = grids.length <= MAX_PERMANENT_LABELS;
    grids.forEach(function (feature) {
      var layer = L.geoJSON(feature, { style: GRID_STYLE, interactive: false });
      layer.label = (feature.properties || {}).name || (feature.properties || {}).code || "";
      bounds.extend(layer.getBounds());
      layers.push(layer);
    });

    var cases = data.cases || [];
    var markers = cases
      .slice()
      // Overdue markers last, so they are drawn on top.
      .sort(function (a, b) {
        return (a.late ? 1 : 0) - (b.late ? 1 : 0);
      })
      .map(function (item) {
        var marker = L.circleMarker([item.lat, item.lon], {
          radius: item.late || item.urgent ? 9 : 7,
          color: "#ffffff",
          weight: 2,
          fillColor: item.late ? colours.late : colours[item.step] || "#1f5fbf",
          fillOpacity: 0.95
        });
        marker.bindPopup(popup(item, labels));
        bounds.extend(marker.getLatLng());
        return marker;
      });

    function fit() {
      if (bounds.isValid()) map.fitBounds(bounds, FIT);
      else map.setView([35, 105], 4);
    }
    fit();
    layers.forEach(function (layer) {
      layer.addTo(map);
      if (permanent && layer.label) {
        // Under the grid's top edge rather than at its centre, where it would hide the markers.
        var box = layer.getBounds();
        L.tooltip({ permanent: true, direction: "bottom", offset: [0, 2], className: "map-label" })
          .setLatLng([box.getNorth(), box.getCenter().lng])
          .setContent(layer.label)
          .addTo(map);
      }
    });
    markers.forEach(function (marker) {
      marker.addTo(map);
    });
    // The page may lay out after the map is created (fonts, a sticky header); re-measure once.
    window.setTimeout(function () {
      map.invalidateSize();
      fit();
    }, 150);
    container.dataset.markers = String(cases.length);
    container.dataset.ready = "1";
  }

  function init() {
    document.querySelectorAll("[data-work-map]").forEach(draw);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();

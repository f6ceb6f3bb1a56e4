// Draw a place and its children on a Leaflet map. Data comes from the page
// ({{ data|json_script }}), so the map needs no extra request. With no tile URL configured the
// shapes are drawn on a plain background: many deployments run on a network without map tiles.
(function () {
  "use strict";

  var PLACE_STYLE = { color: "#1f5fbf", weight: 3, opacity: 1, fillColor: "#1f5fbf", fillOpacity: 0.14 };
  var CHILD_STYLE = { color: "#2f8f6f", weight: 2, opacity: 0.95, dashArray: "6 4", fillColor: "#2f8f6f", fillOpacity: 0.08 };
  var CHILD_HOVER = { weight: 3, fillOpacity: 0.22 };
  // Room for the zoom buttons in the top-left corner.
  var FIT = { paddingTopLeft: [48, 24], paddingBottomRight: [24, 24] };
  // Above this many children, labels would cover the map; names show on hover instead.
  var MAX_PERMANENT_LABELS = 25;

  function draw(container) {
    if (typeof L === "undefined") return;
    var source = document.getElementById(container.dataset.geo);
    if (!source) return;
    var data = JSON.parse(source.textContent);
    var tileUrl = container.dataset.tileUrl || "";

    var map = L.map(container, {
      attributionControl: Boolean(tileUrl),
      zoomSnap: 0.25,
      scrollWheelZoom: false,
      tap: false
    });
    if (tileUrl) {
      container.classList.add("map--tiles");
      L.tileLayer(tileUrl, { attribution: container.dataset.tileAttribution || "", maxZoom: 19 }).addTo(map);
      // Place names sent as tiles of their own (天地图), drawn above the map.
      if (container.dataset.tileLabelsUrl) L.tileLayer(container.dataset.tileLabelsUrl, { maxZoom: 19 }).addTo(map);
    }

    var bounds = L.latLngBounds([]);
    if (data.place) {
      var own = L.geoJSON(data.place, { style: PLACE_STYLE, interactive: false }).addTo(map);
      bounds.extend(own.getBounds());
    }
    var children = data.children || [];
    var permanent = children.length <= MAX_PERMANENT_LABELS;
    children.forEach(function (feature) {
      var layer = L.geoJSON(feature, { style: CHILD_STYLE }).addTo(map);
      var props = feature.properties || {};
      layer.bindTooltip((permanent && props.label) || props.name || props.code || "", {
        permanent: permanent,
        direction: "center",
        className: "map-label"
      });
      layer.on("mouseover", function () {
        layer.setStyle(CHILD_HOVER);
      });
      layer.on("mouseout", function () {
        layer.setStyle(CHILD_STYLE);
      });
      if (props.url) {
        layer.on("click", function () {
          window.location.href = props.url;
        });
      }
      bounds.extend(layer.getBounds());
    });

    if (bounds.isValid()) {
      map.fitBounds(bounds, FIT);
    } else {
      map.setView([35, 105], 4);
    }
    // The page may lay out after the map is created (fonts, a sticky header); re-measure once.
    window.setTimeout(function () {
      map.invalidateSize();
      if (bounds.isValid()) map.fitBounds(bounds, FIT);
    }, 150);
    container.dataset.ready = "1";
  }

  function init() {
    document.querySelectorAll("[data-place-map]").forEach(draw);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();

// The map of cases for staff. The page carries no cases: the map asks the server for what its
// viewport shows (config.url + bbox + zoom) whenever it stops moving, cancelling the previous
// request. The answer is one marker per case (coloured by step, red when overdue, a popup linking to
// the case) or, when the view holds too many, a count per area at its centre (tap to zoom in), and
// the outlines of the grids or areas in view. With no tile URL everything is drawn on a plain
// background.
//
// Markers go into a cluster group (leaflet.markercluster): markers near each other on screen show
// as one circle with their count, red-ringed when one of them is overdue; cases at the same spot
// spread out (spiderfy) when their circle is tapped, so every case can be opened. A layer control
// switches between these markers and a heat layer (leaflet.heat) of the same cases, or of the
// areas' counts when zoomed out. Coordinates come from the server as drawn on the tiles (shifted to
// GCJ-02 there when the tiles are AMap's or Tencent's), so nothing here converts them.
(function () {
  "use strict";

  var GRID_STYLE = { color: "#2f8f6f", weight: 1.5, opacity: 0.9, dashArray: "5 4", fillColor: "#2f8f6f", fillOpacity: 0.06 };
  var AREA_STYLE = { color: "#2f8f6f", weight: 2, opacity: 0.8, dashArray: "6 4", fillColor: "#2f8f6f", fillOpacity: 0.04 };
  var FIT = { paddingTopLeft: [48, 24], paddingBottomRight: [24, 24], maxZoom: 17 };
  // Above this many outlines their names would cover the markers; none are written then.
  var MAX_PERMANENT_LABELS = 12;
  // Wait this long after the map stops moving before asking (a drag or a double zoom asks once).
  var DEBOUNCE_MS = 250;
  // Markers closer than this (pixels) join one cluster.
  var CLUSTER_RADIUS = 44;
  // Heat: a case's weight, and how many cases in one spot show as the hottest colour.
  var HEAT_CASES_MAX = 4;
  // maxZoom 0: leaflet.heat otherwise fades points by the zoom levels short of the map's closest;
  // these weights are already what the view holds.
  var HEAT_OPTIONS = { radius: 22, blur: 16, minOpacity: 0.35, maxZoom: 0 };
  var HEAT_PLACES = { radius: 40, blur: 28, minOpacity: 0.35, maxZoom: 0 };

  function text(tag, value, className) {
    var el = document.createElement(tag);
    el.textContent = value;
    if (className) el.className = className;
    return el;
  }

  function popup(item, config, categories) {
    var labels = config.labels || {};
    var url = config.caseUrl.replace("NUMBER", item.n);
    var box = document.createElement("div");
    box.className = "work-popup";
    var link = text("a", item.n, "work-popup__number");
    link.href = url;
    box.appendChild(link);
    if (item.l) box.appendChild(text("span", labels.overdue || "", "badge badge-red"));
    if (item.u) box.appendChild(text("span", labels.urgent || "", "badge badge-red"));
    box.appendChild(text("div", categories[item.c] || item.c, "work-popup__category"));
    box.appendChild(text("div", (config.states || {})[item.s] || item.s, "work-popup__state"));
    if (item.a) box.appendChild(text("div", item.a, "work-popup__address"));
    var open = text("a", (labels.open || "") + " ›", "work-popup__open");
    open.href = url;
    box.appendChild(open);
    return box;
  }

  function clusterIcon(cluster) {
    // A cluster not counted (too many cases to count with the filters) shows where, not how many.
    var counted = typeof cluster.n === "number";
    var size = !counted ? "s" : cluster.n < 100 ? "s" : cluster.n < 10000 ? "m" : "l";
    var el = document.createElement("span");
    el.className = "work-cluster__count";
    el.textContent = counted ? cluster.n.toLocaleString() : "…";
    var px = { s: 36, m: 46, l: 58 }[size];
    return L.divIcon({ className: "work-cluster work-cluster--" + size, html: el, iconSize: [px, px] });
  }

  function caseIcon(item, colour) {
    // The colour is set through the DOM, not as markup: the page's CSP allows no inline styles.
    var el = document.createElement("span");
    el.className = "work-marker__dot";
    el.style.setProperty("--dot", colour);
    var className = "work-marker" + (item.l ? " work-marker--late" : "") + (item.u ? " work-marker--urgent" : "");
    var px = item.l || item.u ? 22 : 18;
    return L.divIcon({ className: className, html: el, iconSize: [px, px] });
  }

  function caseClusterIcon(cluster) {
    var n = cluster.getChildCount();
    var late = cluster.getAllChildMarkers().some(function (m) {
      return m.options.late;
    });
    var size = n < 10 ? "s" : n < 100 ? "m" : "l";
    var el = document.createElement("span");
    el.className = "work-ccluster__count";
    el.textContent = n.toLocaleString();
    var px = { s: 32, m: 40, l: 48 }[size];
    return L.divIcon({
      className: "work-ccluster work-ccluster--" + size + (late ? " work-ccluster--late" : ""),
      html: el,
      iconSize: [px, px]
    });
  }

  function draw(container) {
    if (typeof L === "undefined") return;
    var source = document.getElementById(container.dataset.config);
    if (!source) return;
    var config = JSON.parse(source.textContent);
    var labels = config.labels || {};
    var colours = config.colours || {};
    var steps = config.steps || {};
    var status = container.parentNode.querySelector("[data-map-status]");
    var tileUrl = container.dataset.tileUrl || "";

    var map = L.map(container, {
      attributionControl: Boolean(tileUrl),
      zoomSnap: 0.25,
      scrollWheelZoom: false,
      // The cluster group spiderfies cases that still overlap at the closest zoom, which it needs.
      maxZoom: 19,
      // Outlines draw faster on one canvas than as SVG elements.
      preferCanvas: true,
      tap: false
    });
    if (tileUrl) {
      container.classList.add("map--tiles");
      L.tileLayer(tileUrl, { attribution: container.dataset.tileAttribution || "", maxZoom: 19 }).addTo(map);
      // Place names sent as tiles of their own (天地图), drawn above the map.
      if (container.dataset.tileLabelsUrl) L.tileLayer(container.dataset.tileLabelsUrl, { maxZoom: 19 }).addTo(map);
    }
    var outlines = L.layerGroup();
    var places = L.layerGroup();
    var markers = L.markerClusterGroup({
      maxClusterRadius: CLUSTER_RADIUS,
      showCoverageOnHover: false,
      spiderfyOnMaxZoom: true,
      spiderfyDistanceMultiplier: 1.4,
      // Zoomed in below (with room around the markers); the plugin's own zoom leaves them on the
      // very edge of the map, under its buttons.
      zoomToBoundsOnClick: false,
      iconCreateFunction: caseClusterIcon
    });
    markers.on("clusterclick", function (event) {
      var cluster = event.layer;
      // After the plugin's own handler (which runs after this one once the group was re-added): it
      // spreads out a cluster that no zoom would split, noted in `_spiderfied`; zoom in on any other.
      window.setTimeout(function () {
        if (markers._spiderfied === cluster) return;
        map.fitBounds(cluster.getBounds(), { padding: [56, 56], maxZoom: map.getMaxZoom() });
      }, 0);
    });
    var cases = L.layerGroup([markers, places]);
    var heat = L.heatLayer([], HEAT_OPTIONS);
    // In a group: the layer control would disable a choice whose own maxZoom (0, above) is passed.
    var heatLayer = L.layerGroup([heat]);
    var layers = {};
    layers[labels.markers || "Cases"] = cases;
    layers[labels.heat || "Heat"] = heatLayer;
    // Open on a wide screen; behind its button on a phone, where it would cover a quarter of the map.
    var narrow = window.matchMedia && window.matchMedia("(max-width: 719px)").matches;
    var switcher = L.control.layers(layers, null, { collapsed: Boolean(narrow), position: "topright" }).addTo(map);
    var toggle = switcher.getContainer().querySelector(".leaflet-control-layers-toggle");
    if (toggle && labels.layers) {
      toggle.title = labels.layers;
      toggle.setAttribute("aria-label", labels.layers);
    }

    function setHeat(points, options) {
      if (map.hasLayer(heat)) {
        heat.setOptions(options);
        heat.setLatLngs(points);
      } else {
        // leaflet.heat redraws through its map, which it no longer has once switched off: keep the
        // points for when it is switched on again (its onAdd draws them).
        L.setOptions(heat, options);
        heat._latlngs = points;
      }
    }
    map.on("baselayerchange", function (event) {
      // Apply the radius and maximum kept while it was off.
      if (event.layer === heatLayer) heat.setOptions({});
      container.dataset.layer = event.layer === heatLayer ? "heat" : "markers";
    });

    function say(message, state) {
      if (!status) return;
      status.textContent = message;
      status.dataset.state = state;
    }

    function render(data) {
      outlines.clearLayers();
      markers.clearLayers();
      places.clearLayers();
      var shapes = data.outlines || [];
      var named = shapes.length <= MAX_PERMANENT_LABELS;
      shapes.forEach(function (item) {
        var layer = L.geoJSON(
          { type: "Feature", geometry: item.g, properties: {} },
          { style: item.level === "grid" ? GRID_STYLE : AREA_STYLE, interactive: false }
        );
        outlines.addLayer(layer);
        if (named && item.name) {
          // Under the outline's top edge rather than at its centre, where it would hide the markers.
          var box = layer.getBounds();
          outlines.addLayer(
            L.tooltip({ permanent: true, direction: "bottom", offset: [0, 2], className: "map-label" })
              .setLatLng([box.getNorth(), box.getCenter().lng])
              .setContent(item.name)
          );
        }
      });
      var categories = data.categories || {};
      var items = data.cases || [];
      markers.addLayers(
        items.map(function (item) {
          var marker = L.marker([item.y, item.x], {
            icon: caseIcon(item, colours[steps[item.s]] || "#1f5fbf"),
            title: item.n,
            alt: item.n,
            late: Boolean(item.l),
            // Overdue markers on top of the others.
            zIndexOffset: item.l ? 1000 : 0
          });
          marker.bindPopup(function () {
            return popup(item, config, categories);
          });
          return marker;
        })
      );
      (data.clusters || []).forEach(function (cluster) {
        var name = (labels.zoomIn || "%(name)s").replace("%(name)s", cluster.name);
        var marker = L.marker([cluster.y, cluster.x], {
          icon: clusterIcon(cluster),
          title: name,
          alt: name,
          riseOnHover: true
        });
        marker.on("click", function () {
          var before = map.getZoom();
          var b = cluster.b;
          map.fitBounds(
            [
              [b[1], b[0]],
              [b[3], b[2]]
            ],
            FIT
          );
          // The area already fills the view: go closer around its centre instead.
          if (map.getZoom() <= before) map.setView([cluster.y, cluster.x], Math.min(before + 2, 19));
        });
        places.addLayer(marker);
      });
      // The heat layer: the cases drawn, or each area's count at its centre.
      var counted = (data.clusters || []).filter(function (c) {
        return typeof c.n === "number";
      });
      if (items.length || !counted.length) {
        setHeat(
          items.map(function (item) {
            return [item.y, item.x, 1];
          }),
          Object.assign({ max: HEAT_CASES_MAX }, HEAT_OPTIONS)
        );
      } else {
        var most = Math.max.apply(
          null,
          counted.map(function (c) {
            return c.n;
          })
        );
        setHeat(
          counted.map(function (c) {
            return [c.y, c.x, c.n];
          }),
          Object.assign({ max: most }, HEAT_PLACES)
        );
      }
      container.dataset.mode = data.mode;
      container.dataset.markers = String((data.cases || []).length);
      container.dataset.clusters = String((data.clusters || []).length);
      container.dataset.ready = "1";
      say(data.status || "", data.mode === "clusters" || data.capped || data.uncounted ? "many" : "ok");
    }

    var pending = null;
    var timer = null;
    // What the last answer covers: a view inside it at the same zoom needs no new request when the
    // answer held every case there (a capped or uncounted one may leave some out).
    var shown = null;
    // A popup pans the map to fit itself: a reload then would close it. The move it makes is held
    // until the popup closes.
    var held = false;
    var panning = false;

    function covered() {
      return Boolean(
        shown && shown.complete && shown.zoom === map.getZoom() && shown.bounds.contains(map.getBounds())
      );
    }

    function load() {
      if (!pending && covered()) return;
      if (pending) pending.abort();
      var controller = typeof AbortController === "function" ? new AbortController() : null;
      pending = controller;
      var b = map.getBounds();
      var asked = { bounds: b, zoom: map.getZoom() };
      var box = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]
        .map(function (v) {
          return v.toFixed(5);
        })
        .join(",");
      var url =
        config.url + (config.url.indexOf("?") < 0 ? "?" : "&") + "bbox=" + box + "&zoom=" + map.getZoom();
      container.dataset.loading = "1";
      say(labels.loading || "", "loading");
      fetch(url, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
        signal: controller ? controller.signal : undefined
      })
        .then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.json();
        })
        .then(function (data) {
          if (pending !== controller) return;
          pending = null;
          delete container.dataset.loading;
          shown = { bounds: asked.bounds, zoom: asked.zoom, complete: !data.capped && !data.uncounted };
          render(data);
        })
        .catch(function (error) {
          if (error && error.name === "AbortError") return;
          if (pending !== controller) return;
          pending = null;
          delete container.dataset.loading;
          say(labels.failed || "", "failed");
        });
    }

    function schedule() {
      window.clearTimeout(timer);
      timer = window.setTimeout(load, DEBOUNCE_MS);
    }

    function fit() {
      var b = config.bounds;
      if (b) {
        map.fitBounds(
          [
            [b[1], b[0]],
            [b[3], b[2]]
          ],
          FIT
        );
      } else {
        map.setView([35, 105], 4);
      }
    }

    fit();
    outlines.addTo(map);
    cases.addTo(map);
    map.on("autopanstart", function () {
      panning = true;
    });
    map.on("moveend", function () {
      if (panning) {
        panning = false;
        held = true;
        return;
      }
      schedule();
    });
    map.on("popupclose", function () {
      if (!held) return;
      held = false;
      schedule();
    });
    schedule();
    // The page may lay out after the map is created (fonts, a sticky header); re-measure once.
    window.setTimeout(function () {
      map.invalidateSize();
      fit();
    }, 150);
  }

  // The filters fold behind a button on a phone (the map first); a wider screen shows them open.
  function unfoldFilters() {
    if (!window.matchMedia || !window.matchMedia("(min-width: 721px)").matches) return;
    document.querySelectorAll("[data-map-filters]").forEach(function (details) {
      details.open = true;
    });
  }

  function init() {
    unfoldFilters();
    document.querySelectorAll("[data-work-map]").forEach(draw);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();

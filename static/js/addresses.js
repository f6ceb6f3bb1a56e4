// The standard address register's maps: an address's point in its grid (read only), and the add and
// correct forms' picker — tap the map, or "Use my position", to set the point; "No point" clears it.
// Data comes from the page ({{ map|json_script }}: the grid's outline and the point, already in the
// tiles' system). Without a tile URL the grid is drawn on a plain background.
(function () {
  "use strict";

  var OUTLINE_STYLE = { color: "#1f5fbf", weight: 3, opacity: 1, fillColor: "#1f5fbf", fillOpacity: 0.1 };

  function format(template, value) {
    return (template || "").replace("%s", value);
  }

  function baseMap(container) {
    var data = JSON.parse(document.getElementById(container.dataset.geo).textContent || "{}");
    var tileUrl = container.dataset.tileUrl || "";
    var map = L.map(container, { zoomSnap: 0.25, scrollWheelZoom: false, tap: false, attributionControl: Boolean(tileUrl) });
    if (tileUrl) {
      container.classList.add("map--tiles");
      L.tileLayer(tileUrl, { attribution: container.dataset.tileAttribution || "", maxZoom: 19 }).addTo(map);
      if (container.dataset.tileLabelsUrl) L.tileLayer(container.dataset.tileLabelsUrl, { maxZoom: 19 }).addTo(map);
    }
    var bounds = L.latLngBounds([]);
    if (data.outline) {
      var layer = L.geoJSON(data.outline, { style: OUTLINE_STYLE, interactive: false }).addTo(map);
      bounds = layer.getBounds();
    }
    return { map: map, data: data, bounds: bounds };
  }

  function pin() {
    return L.divIcon({
      className: "addr-pin",
      html: '<svg viewBox="0 0 24 32" aria-hidden="true"><path d="M12 1C6 1 1.5 5.5 1.5 11.5 1.5 19 12 31 12 31s10.5-12 10.5-19.5C22.5 5.5 18 1 12 1z" fill="#c0392b" stroke="#fff" stroke-width="1.5"/><circle cx="12" cy="11.5" r="4" fill="#fff"/></svg>',
      iconSize: [28, 38],
      iconAnchor: [14, 37]
    });
  }

  function show(container) {
    var built = baseMap(container);
    var map = built.map, point = built.data.point;
    if (point) {
      var latlng = L.latLng(point[1], point[0]);
      L.marker(latlng, { icon: pin(), keyboard: false, interactive: false }).addTo(map);
      built.bounds.extend(latlng);
    }
    if (built.bounds.isValid()) map.fitBounds(built.bounds, { padding: [16, 16], maxZoom: 18 });
    else map.setView([35, 105], 4);
    window.setTimeout(function () { map.invalidateSize(); }, 150);
    container.dataset.ready = "1";
  }

  function picker(container) {
    var form = container.closest("form");
    var lonInput = form.querySelector("[name=lon]");
    var latInput = form.querySelector("[name=lat]");
    var crsInput = form.querySelector("[name=crs]");
    var status = form.querySelector("[data-locate-status]");
    var tileCrs = container.dataset.tileCrs || "wgs84";
    var crs = window.CivicGrid && window.CivicGrid.crs;
    var built = baseMap(container);
    var map = built.map;
    var marker = L.marker([0, 0], { icon: pin(), draggable: true, keyboard: true });

    function say(text) {
      if (status) status.textContent = text;
    }

    function setPoint(latlng, message) {
      latInput.value = latlng.lat.toFixed(6);
      lonInput.value = latlng.lng.toFixed(6);
      if (crsInput) crsInput.value = tileCrs;
      marker.setLatLng(latlng);
      if (!map.hasLayer(marker)) marker.addTo(map);
      container.dataset.pinned = "1";
      say(message || "");
    }

    function typed() {
      var lat = parseFloat(latInput.value), lon = parseFloat(lonInput.value);
      if (isFinite(lat) && isFinite(lon) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180) return L.latLng(lat, lon);
      return null;
    }

    map.on("click", function (event) { setPoint(event.latlng, form.dataset.msgTapped); });
    marker.on("dragend", function () { setPoint(marker.getLatLng(), form.dataset.msgTapped); });
    [lonInput, latInput].forEach(function (input) {
      input.addEventListener("change", function () {
        var p = typed();
        if (p) { setPoint(p, ""); map.setView(p, Math.max(map.getZoom(), 17)); }
      });
    });

    function locate() {
      if (!navigator.geolocation || (tileCrs !== "wgs84" && !crs)) { say(form.dataset.msgDenied); return; }
      say(form.dataset.msgLocating);
      navigator.geolocation.getCurrentPosition(
        function (position) {
          var fix = tileCrs === "wgs84" ? [position.coords.longitude, position.coords.latitude]
            : crs.toTiles(tileCrs, position.coords.longitude, position.coords.latitude);
          var p = L.latLng(fix[1], fix[0]);
          map.setView(p, 18);
          setPoint(p, format(form.dataset.msgLocated, Math.round(position.coords.accuracy || 0)));
        },
        function () { say(form.dataset.msgDenied); },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
      );
    }

    var actions = form.querySelector("[data-locate-actions]");
    if (actions) actions.hidden = false;
    var locateButton = form.querySelector("[data-locate]");
    if (locateButton) locateButton.addEventListener("click", locate);
    var clearButton = form.querySelector("[data-clear-point]");
    if (clearButton) {
      clearButton.addEventListener("click", function () {
        lonInput.value = "";
        latInput.value = "";
        if (map.hasLayer(marker)) map.removeLayer(marker);
        delete container.dataset.pinned;
        say(form.dataset.msgCleared);
      });
    }

    var start = typed();
    if (start) {
      setPoint(start, "");
      map.setView(start, 17);
    } else if (built.bounds.isValid()) {
      map.fitBounds(built.bounds, { padding: [12, 12] });
    } else {
      map.setView([35, 105], 4);
    }
    window.setTimeout(function () { map.invalidateSize(); }, 150);
    container.dataset.ready = "1";
  }

  function init() {
    if (typeof L === "undefined") return;
    document.querySelectorAll("[data-address-map]").forEach(function (container) {
      if (container.hasAttribute("data-picker")) picker(container);
      else show(container);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();

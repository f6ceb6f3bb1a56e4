// The GCJ-02 offset in the browser: a port of lib/geo.py's wgs84_to_gcj02, kept formula for formula.
// Used by report.js to draw the browser's GPS fix (WGS-84) on GCJ-02 tiles (AMap, Tencent); everything
// else a map draws is shifted on the server (places/display.py). tests/e2e/test_report_gcj02.py
// compares this port with the Python function.
(function (root) {
  "use strict";

  var A = 6378245.0;
  var EE = 0.00669342162296594323;

  function outOfChina(lon, lat) {
    return !(lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271);
  }

  function offset(lon, lat) {
    var x = lon - 105.0;
    var y = lat - 35.0;
    var sqrtAbsX = Math.sqrt(Math.abs(x));
    var common = 20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI);
    var dlatM =
      -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrtAbsX +
      ((common +
        20.0 * Math.sin(y * Math.PI) +
        40.0 * Math.sin((y / 3.0) * Math.PI) +
        160.0 * Math.sin((y / 12.0) * Math.PI) +
        320.0 * Math.sin((y / 30.0) * Math.PI)) *
        2.0) /
        3.0;
    var dlonM =
      300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrtAbsX +
      ((common +
        20.0 * Math.sin(x * Math.PI) +
        40.0 * Math.sin((x / 3.0) * Math.PI) +
        150.0 * Math.sin((x / 12.0) * Math.PI) +
        300.0 * Math.sin((x / 30.0) * Math.PI)) *
        2.0) /
        3.0;
    var radLat = (lat * Math.PI) / 180.0;
    var magic = 1.0 - EE * Math.pow(Math.sin(radLat), 2);
    var sqrtMagic = Math.sqrt(magic);
    var dlat = (dlatM * 180.0) / (((A * (1.0 - EE)) / (magic * sqrtMagic)) * Math.PI);
    var dlon = (dlonM * 180.0) / ((A / sqrtMagic) * Math.cos(radLat) * Math.PI);
    return [dlon, dlat];
  }

  // Return the GCJ-02 [lon, lat] of a WGS-84 point (the same point outside China).
  function wgs84ToGcj02(lon, lat) {
    if (outOfChina(lon, lat)) return [lon, lat];
    var d = offset(lon, lat);
    return [lon + d[0], lat + d[1]];
  }

  // Return where a WGS-84 point is drawn on tiles in `crs` (a map container's data-tile-crs).
  function toTiles(crs, lon, lat) {
    return crs === "gcj02" ? wgs84ToGcj02(lon, lat) : [lon, lat];
  }

  root.CivicGrid = root.CivicGrid || {};
  root.CivicGrid.crs = { outOfChina: outOfChina, wgs84ToGcj02: wgs84ToGcj02, toTiles: toTiles };
})(window);

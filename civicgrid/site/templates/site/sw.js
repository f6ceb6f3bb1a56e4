{% autoescape off %}// CivicGrid's service worker (issue 13), rendered by site.views.service_worker from site.offline.
// - Static files: cache first (their list is fetched at install; the version changes with them).
// - Pages: network first; a page under the kept prefixes is stored as last seen, and shown from the
//   store when there is no signal (report, outbox, the grid worker's queue and case pages).
//   A page never seen shows the offline page. Only GET answers of type HTML are kept.
// - Posts are never touched here: the page's script (outbox.js) keeps what could not be sent.
"use strict";

var VERSION = {{ version }};
var STATIC_CACHE = "civicgrid-static-" + VERSION;
var PAGE_CACHE = "civicgrid-pages";
var PAGES = {{ pages }};
var ASSETS = {{ assets }};
var PREFIXES = {{ prefixes }};
var OFFLINE_URL = {{ offline_url }};
var NETWORK_WAIT_MS = 6000;

self.addEventListener("install", function (event) {
  event.waitUntil(
    Promise.all([
      // One by one: a file that fails now (a weak signal) is fetched on first use instead of
      // failing the whole install.
      caches.open(STATIC_CACHE).then(function (cache) {
        return Promise.all(
          ASSETS.map(function (url) {
            return cache.add(url).then(null, function () {});
          })
        );
      }),
      caches.open(PAGE_CACHE).then(function (cache) {
        return Promise.all(
          PAGES.map(function (url) {
            // Without cookies: the kept copy is the public page (it names no one), and its answer
            // cannot replace the person's cookies (a page's CSRF token) while they sign in.
            return fetch(url, { credentials: "omit" }).then(function (response) {
              if (response.ok) return cache.put(url, response);
            }, function () {});
          })
        );
      }),
    ]).then(function () {
      return self.skipWaiting();
    })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(
        names.filter(function (name) {
          return name.indexOf("civicgrid-static-") === 0 && name !== STATIC_CACHE;
        }).map(function (name) {
          return caches.delete(name);
        })
      );
    }).then(function () {
      return self.clients.claim();
    })
  );
});

self.addEventListener("message", function (event) {
  if (event.data === "forget-pages") event.waitUntil(caches.delete(PAGE_CACHE));
});

function keptPage(url) {
  if (url.pathname === "/") return true;
  return PREFIXES.some(function (prefix) {
    return url.pathname.indexOf(prefix) === 0;
  });
}

function withTimeout(promise, ms) {
  return new Promise(function (resolve, reject) {
    var timer = setTimeout(function () {
      reject(new Error("timeout"));
    }, ms);
    promise.then(function (value) {
      clearTimeout(timer);
      resolve(value);
    }, function (error) {
      clearTimeout(timer);
      reject(error);
    });
  });
}

function page(request, url) {
  var network = fetch(request);
  return withTimeout(network, NETWORK_WAIT_MS).then(function (response) {
    var type = response.headers.get("Content-Type") || "";
    if (response.ok && !response.redirected && type.indexOf("text/html") === 0 && keptPage(url)) {
      var copy = response.clone();
      caches.open(PAGE_CACHE).then(function (cache) {
        cache.put(url.pathname + url.search, copy);
      });
    }
    return response;
  }).catch(function () {
    return caches.open(PAGE_CACHE).then(function (cache) {
      return cache.match(url.pathname + url.search).then(function (hit) {
        // The same page without its query (a list's filters), else the offline page.
        return hit || cache.match(url.pathname) || cache.match(OFFLINE_URL) || Response.error();
      });
    });
  });
}

function asset(request) {
  return caches.open(STATIC_CACHE).then(function (cache) {
    return cache.match(request).then(function (hit) {
      if (hit) return hit;
      return fetch(request).then(function (response) {
        if (response.ok) cache.put(request, response.clone());
        return response;
      });
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(page(request, url));
  } else if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(asset(request));
  }
});
{% endautoescape %}

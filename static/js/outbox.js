// The phone's outbox (issue 13): what was filled in without a signal waits here, in IndexedDB, with
// its photos and its idempotency key, and is sent when the signal returns. The server files the same
// key once, so a resend (a reload, two tabs, a lost answer) never makes a second case or step.
//
// - `CivicGrid.outbox.send(url, formData)`: POST now (JSON answer); rejects only when there is no
//   answer at all (no signal), and the caller then calls `add`.
// - `add({kind, url, title, data})`: keep a FormData (files as bytes) under its key; `flush()` sends
//   what waits, on every page load, when the browser says it is back online, and every 30 seconds
//   while something waits.
// - Forms marked `data-outbox` (the case page's action forms) are sent by this file: a refusal posts
//   the form the ordinary way so the page shows its errors; no signal puts the step in the outbox.
// - The banner (`[data-outbox-banner]`, base.html) says how many wait; the outbox page lists them.
(function () {
  "use strict";

  var DB_NAME = "civicgrid";
  var STORE = "outbox";
  // Sent items stay listed this long (so the person sees what went), then are forgotten.
  var KEEP_SENT_MS = 7 * 24 * 3600 * 1000;
  var RETRY_MS = 30000;
  var dbPromise = null;
  var flushing = null;
  var listeners = [];

  function open() {
    if (dbPromise) return dbPromise;
    dbPromise = new Promise(function (resolve, reject) {
      if (!window.indexedDB) {
        reject(new Error("no IndexedDB"));
        return;
      }
      var request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () {
        request.result.createObjectStore(STORE, { keyPath: "id" });
      };
      request.onsuccess = function () {
        resolve(request.result);
      };
      request.onerror = function () {
        reject(request.error);
      };
    });
    return dbPromise;
  }

  function tx(mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode);
        var store = t.objectStore(STORE);
        var result;
        Promise.resolve(work(store)).then(function (r) {
          result = r;
        });
        t.oncomplete = function () {
          resolve(result);
        };
        t.onerror = t.onabort = function () {
          reject(t.error);
        };
      });
    });
  }

  function request(r) {
    return new Promise(function (resolve, reject) {
      r.onsuccess = function () {
        resolve(r.result);
      };
      r.onerror = function () {
        reject(r.error);
      };
    });
  }

  function all() {
    return tx("readonly", function (store) {
      return request(store.getAll());
    }).then(function (items) {
      return (items || []).sort(function (a, b) {
        return a.created < b.created ? -1 : 1;
      });
    });
  }

  function put(item) {
    return tx("readwrite", function (store) {
      store.put(item);
    });
  }

  function remove(id) {
    return tx("readwrite", function (store) {
      store["delete"](id);
    }).then(changed);
  }

  // The cookie's token as it is now (a sign-in in another tab rotates it), else the page's.
  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  // The form's own token may be older than the session's (a sign-in rotates it): the current page's
  // goes in the header, and the field, which Django would read first, is left out.
  // `later`: sent from the outbox, not while the person waits for it (the server then leaves its
  // "done" message out of the next page they open).
  function send(url, data, later) {
    var body = new FormData();
    data.forEach(function (value, name) {
      if (name !== "csrfmiddlewaretoken") body.append(name, value);
    });
    var headers = { Accept: "application/json", "X-CSRFToken": csrfToken() };
    if (later) headers["X-Outbox"] = "1";
    return fetch(url, { method: "POST", body: body, credentials: "same-origin", headers: headers });
  }

  function keyOf(data) {
    var key = "";
    data.forEach(function (value, name) {
      if (!key && (name === "idempotency_key" || /-key$/.test(name)) && typeof value === "string") key = value;
    });
    return key;
  }

  // FormData → [[name, value]], files as {file, name, type, bytes}: bytes store everywhere IndexedDB does.
  function pack(data) {
    var fields = [];
    var reads = [];
    data.forEach(function (value, name) {
      if (name === "csrfmiddlewaretoken") return;
      if (typeof value === "string") {
        fields.push([name, value]);
      } else if (value && value.size) {
        var slot = [name, null];
        fields.push(slot);
        reads.push(
          value.arrayBuffer().then(function (bytes) {
            slot[1] = { file: true, name: value.name || "photo.jpg", type: value.type || "image/jpeg", bytes: bytes };
          })
        );
      }
    });
    return Promise.all(reads).then(function () {
      return fields.filter(function (f) {
        return f[1] !== null;
      });
    });
  }

  function unpack(fields) {
    var data = new FormData();
    fields.forEach(function (f) {
      var value = f[1];
      if (value && value.file) data.append(f[0], new File([value.bytes], value.name, { type: value.type }));
      else data.append(f[0], value);
    });
    return data;
  }

  function add(entry) {
    return pack(entry.data).then(function (fields) {
      var id = keyOf(entry.data) || String(Date.now()) + Math.random().toString(16).slice(2);
      return put({
        id: id,
        kind: entry.kind || "report",
        url: entry.url,
        title: entry.title || "",
        created: new Date().toISOString(),
        state: "waiting",
        fields: fields,
        result: null,
        message: "",
      }).then(function () {
        changed();
        schedule();
        return id;
      });
    });
  }

  function sendOne(item) {
    return send(item.url, unpack(item.fields), true).then(function (response) {
      return response.json().then(
        function (body) {
          return { status: response.status, body: body };
        },
        function () {
          return { status: response.status, body: null };
        }
      );
    }).then(function (answer) {
      if (answer.status < 300 && answer.body) {
        item.state = "sent";
        item.sent = new Date().toISOString();
        item.result = { tracking_number: answer.body.tracking_number || "", url: answer.body.url || "" };
        item.message = answer.body.message || "";
        item.fields = [];
        return put(item).then(function () {
          return true;
        });
      }
      var refused = answer.body && [400, 403, 404, 409, 422].indexOf(answer.status) >= 0;
      if (refused) {
        item.state = "refused";
        item.message = answer.body.message || "";
        var fields = answer.body.fields || {};
        Object.keys(fields).forEach(function (name) {
          item.message += " " + fields[name];
        });
        return put(item).then(function () {
          return true;
        });
      }
      // Busy or down (429, 5xx), or not our answer (a captive portal): try again later.
      return true;
    });
  }

  function flush() {
    if (flushing) return flushing;
    flushing = all()
      .then(function (items) {
        var now = Date.now();
        var old = items.filter(function (i) {
          return i.state === "sent" && now - Date.parse(i.sent || i.created) > KEEP_SENT_MS;
        });
        var waiting = items.filter(function (i) {
          return i.state === "waiting";
        });
        var chain = Promise.all(old.map(function (i) {
          return remove(i.id);
        }));
        waiting.forEach(function (item) {
          chain = chain.then(function (go) {
            if (go === false) return false;
            return sendOne(item).then(null, function () {
              return false; // no signal: stop here, keep the rest waiting
            });
          });
        });
        return chain;
      })
      .then(null, function () {})
      .then(function () {
        flushing = null;
        changed();
        schedule();
      });
    return flushing;
  }

  var timer = null;
  function schedule() {
    if (timer) return;
    all().then(function (items) {
      if (!items.some(function (i) { return i.state === "waiting"; })) return;
      timer = window.setTimeout(function () {
        timer = null;
        flush();
      }, RETRY_MS);
    }, function () {});
  }

  function changed() {
    all().then(function (items) {
      renderBanner(items);
      listeners.forEach(function (fn) {
        fn(items);
      });
    }, function () {});
  }

  function renderBanner(items) {
    var banner = document.querySelector("[data-outbox-banner]");
    if (!banner) return;
    var waiting = items.filter(function (i) { return i.state === "waiting"; }).length;
    var refused = items.filter(function (i) { return i.state === "refused"; }).length;
    var text = banner.querySelector("[data-outbox-banner-text]");
    var parts = [];
    if (waiting) parts.push((banner.dataset.msgWaiting || "%s waiting").replace("%s", waiting));
    if (refused) parts.push((banner.dataset.msgRefused || "%s not accepted").replace("%s", refused));
    if (text) text.textContent = parts.join(" · ");
    banner.hidden = !parts.length || Boolean(document.querySelector("[data-outbox-list]"));
    banner.classList.toggle("is-refused", refused > 0);
  }

  // --- Forms sent through the outbox (the case page's steps) --------------------------------------

  function setupForms() {
    document.querySelectorAll("form[data-outbox]").forEach(function (form) {
      var key = form.querySelector("input[name$='-key']");
      if (key && !form.querySelector(".errorlist")) key.value = freshKey();
      form.addEventListener("submit", function (event) {
        if (event.defaultPrevented || form.dataset.native === "1") return;
        event.preventDefault();
        if (form.dataset.sending === "1") return;
        form.dataset.sending = "1";
        var button = form.querySelector("[type=submit]");
        if (button) button.setAttribute("aria-disabled", "true");
        var data = new FormData(form);
        var url = form.getAttribute("action");
        send(url, data).then(
          function (response) {
            if (response.ok) {
              return response.json().then(function (body) {
                window.location.assign(body.url || window.location.href);
              });
            }
            // Refused: the ordinary post shows the page with the errors at their fields.
            form.dataset.native = "1";
            HTMLFormElement.prototype.submit.call(form);
          },
          function () {
            add({ kind: form.dataset.outbox, url: url, title: form.dataset.outboxTitle || "", data: data }).then(
              function () {
                form.dataset.sending = "";
                if (button) button.removeAttribute("aria-disabled");
                var note = document.createElement("div");
                note.className = "alert alert-info outbox-note";
                note.setAttribute("role", "status");
                note.textContent = document.querySelector("[data-outbox-banner]")
                  ? document.querySelector("[data-outbox-banner]").dataset.msgQueuedStep || ""
                  : "";
                form.replaceWith(note);
              }
            );
          }
        );
      });
    });
  }

  function freshKey() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return (b < 16 ? "0" : "") + b.toString(16);
    }).join("");
  }

  window.CivicGrid = window.CivicGrid || {};
  window.CivicGrid.outbox = {
    add: add,
    all: all,
    flush: flush,
    remove: remove,
    send: send,
    freshKey: freshKey,
    onChange: function (fn) {
      listeners.push(fn);
    },
  };

  function init() {
    setupForms();
    changed();
    if (navigator.onLine !== false) flush();
    window.addEventListener("online", flush);
    if ("serviceWorker" in navigator && document.body.dataset.serviceWorker) {
      navigator.serviceWorker.register(document.body.dataset.serviceWorker, { scope: "/" }).then(null, function () {});
      // Signing out forgets the pages kept for offline use (they show the person's name and work).
      document.querySelectorAll("form[data-sign-out]").forEach(function (form) {
        form.addEventListener("submit", function () {
          if (navigator.serviceWorker.controller) navigator.serviceWorker.controller.postMessage("forget-pages");
        });
      });
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();

// The snap-and-report form: the browser's position, a draggable pin on a Leaflet map with the grids
// drawn under it, the map-centre fallback, and one submission per tap (the photos are the camera
// control's, static/js/photo-picker.js).
// Without JavaScript the form still works: native file inputs and typed coordinates.
// Everything on the map is in the tiles' system (data-tile-crs): the server sends the outlines shifted
// on GCJ-02 tiles, the GPS fix (WGS-84) is shifted here (crs.js), and the form sends the pin as drawn,
// with its system in the hidden crs field; intake converts it to WGS-84.
(function () {
  "use strict";

  var OUTLINE_STYLE = { color: "#1f5fbf", weight: 1.5, opacity: 0.7, fillColor: "#1f5fbf", fillOpacity: 0.04 };
  var PIN_HTML =
    '<svg viewBox="0 0 36 48" width="36" height="48" aria-hidden="true">' +
    '<path d="M18 1C8.6 1 1 8.6 1 18c0 12.4 15 27.5 15.6 28.1a2 2 0 0 0 2.8 0C20 45.5 35 30.4 35 18 35 8.6 27.4 1 18 1z" fill="#c8372d" stroke="#fff" stroke-width="2"/>' +
    '<circle cx="18" cy="18" r="6" fill="#fff"/></svg>';

  function format(template, value) {
    return (template || "").replace("%s", value);
  }

  // --- Category: the common problems as icons, "more", suggested phrases -------------------------
  // The select is the one field sent; a tile sets it. Each category's rules (photo, description,
  // phrases) come in the page's configuration, from the categories' own fields.

  function config() {
    var source = document.getElementById("report-questions-config");
    return source ? JSON.parse(source.textContent || "{}") : {};
  }

  function setupCategory(form, rules) {
    var select = form.querySelector("[data-category]");
    var hint = form.querySelector("[data-photo-hint]");
    var more = form.querySelector("[data-category-more]");
    var moreButton = form.querySelector("[data-quick-more]");
    var tiles = form.querySelectorAll("[data-quick-code]");
    var mark = form.querySelector("[data-description-mark]");
    var phrases = form.querySelector("[data-phrases]");
    var text = form.querySelector("[name=description]");
    if (!select) return;
    var quickCodes = Array.prototype.map.call(tiles, function (t) { return t.dataset.quickCode; });

    function showMore(open) {
      if (!more || !moreButton) return;
      more.classList.toggle("is-open", open);
      moreButton.setAttribute("aria-expanded", open ? "true" : "false");
      moreButton.setAttribute("aria-pressed", open ? "true" : "false");
    }

    function phraseButtons(list) {
      if (!phrases || !text) return;
      phrases.textContent = "";
      list.forEach(function (phrase) {
        var b = document.createElement("button");
        b.type = "button";
        b.className = "phrase";
        b.textContent = phrase;
        b.setAttribute("aria-pressed", text.value.indexOf(phrase) >= 0 ? "true" : "false");
        b.addEventListener("click", function () {
          var current = text.value.trim();
          if (current.indexOf(phrase) >= 0) {
            text.value = current.replace(phrase, "").replace(/^[，,。\s]+|[，,\s]+$/g, "").replace(/[，,]{2,}/g, "，");
            b.setAttribute("aria-pressed", "false");
          } else {
            text.value = current ? current.replace(/[。.]$/, "") + "，" + phrase : phrase;
            b.setAttribute("aria-pressed", "true");
          }
          clearError(form, "description");
        });
        phrases.appendChild(b);
      });
      phrases.hidden = list.length === 0;
    }

    function update() {
      var rule = rules[select.value] || null;
      tiles.forEach(function (tile) {
        tile.setAttribute("aria-pressed", tile.dataset.quickCode === select.value ? "true" : "false");
      });
      if (select.value && quickCodes.indexOf(select.value) < 0) showMore(true);
      if (hint) hint.hidden = !(rule && rule.photo);
      if (mark) mark.hidden = !(rule && !rule.describe);
      phraseButtons(rule ? rule.phrases || [] : []);
      if (select.value) clearError(form, "category");
    }

    breakAtWords(form.querySelectorAll(".quick-tile__label"));
    tiles.forEach(function (tile) {
      tile.addEventListener("click", function () {
        select.value = tile.dataset.quickCode;
        showMore(false);
        select.dispatchEvent(new Event("change", { bubbles: true }));
      });
    });
    if (moreButton) {
      moreButton.addEventListener("click", function () {
        var open = !more.classList.contains("is-open");
        showMore(open);
        if (open) select.focus();
      });
    }
    select.addEventListener("change", update);
    if (more) form.classList.add("has-quick-grid");
    showMore(Boolean(select.value && quickCodes.indexOf(select.value) < 0) || !tiles.length);
    update();
  }

  // A category's name wraps between its words, never inside one (垃圾箱破损 / 满溢, not 非法小广 / 告):
  // Chinese has no spaces, so the browser's word segmenter marks where a line may break; the CSS
  // (word-break: keep-all) breaks only there. Without a segmenter the names wrap as before.
  function breakAtWords(labels) {
    if (typeof Intl === "undefined" || !Intl.Segmenter) return;
    var segmenter = new Intl.Segmenter(document.documentElement.lang || "zh", { granularity: "word" });
    labels.forEach(function (label) {
      var text = label.textContent;
      var parts = Array.from(segmenter.segment(text), function (s) { return s.segment; });
      if (parts.length < 2) return;
      label.textContent = "";
      parts.forEach(function (part, index) {
        if (index) label.appendChild(document.createElement("wbr"));
        label.appendChild(document.createTextNode(part));
      });
    });
  }

  // --- Checks before sending ------------------------------------------------------------------
  // What the service would refuse for want of input is asked here first, so nothing the person picked
  // (photos above all) is lost to a round trip. The server checks everything again.

  function fieldBox(form, name) {
    if (name === "lon" || name === "lat" || name === "crs") return form.querySelector(".report-coords");
    if (name === "category") return form.querySelector("[data-category-field]");
    if (name === "description") return form.querySelector("[data-description-field]");
    if (name === "photos") {
      var input = form.querySelector("input[type=file][name=photos]");
      return input ? input.closest(".form-field") : null;
    }
    if (name.indexOf("answers.") === 0) return form.querySelector('[data-question="' + name.slice(8) + '"]');
    var field = form.querySelector('[name="' + name + '"]');
    return field ? field.closest(".form-field") : null;
  }

  function clearError(form, name) {
    var box = fieldBox(form, name);
    if (!box) return;
    box.classList.remove("has-error");
    box.querySelectorAll("[data-client-error]").forEach(function (n) { n.remove(); });
    box.querySelectorAll("[aria-invalid]").forEach(function (n) { n.removeAttribute("aria-invalid"); });
  }

  function clearErrors(form) {
    form.querySelectorAll("[data-client-error]").forEach(function (n) {
      var box = n.closest(".has-error");
      if (box) {
        box.classList.remove("has-error");
        box.querySelectorAll("[aria-invalid]").forEach(function (c) { c.removeAttribute("aria-invalid"); });
      }
      n.remove();
    });
    var alert = form.querySelector("[data-form-alert]");
    if (alert) alert.hidden = true;
  }

  function showError(form, name, message) {
    var box = fieldBox(form, name);
    if (!box) return null;
    box.classList.add("has-error");
    var control = box.querySelector("input:not([type=hidden]), select, textarea");
    if (control) control.setAttribute("aria-invalid", "true");
    var list = document.createElement("ul");
    list.className = "errorlist";
    list.setAttribute("data-client-error", "");
    var item = document.createElement("li");
    item.textContent = message;
    list.appendChild(item);
    // Under the tiles, not under the list folded away below them.
    var grid = name === "category" ? box.querySelector("[data-quick]") : null;
    if (grid) grid.insertAdjacentElement("afterend", list);
    else box.appendChild(list);
    return box;
  }

  function showAlert(form, message) {
    var alert = form.querySelector("[data-form-alert]");
    if (!alert) return;
    alert.querySelector("[data-form-alert-text]").textContent = message;
    alert.hidden = false;
  }

  function photoCount(form) {
    var n = 0;
    form.querySelectorAll("input[type=file][name=photos]").forEach(function (input) {
      n += (input.files || []).length;
    });
    return n;
  }

  function check(form, cfg) {
    var rules = cfg.rules || {};
    var d = form.dataset;
    var problems = [];
    var get = function (name) {
      var f = form.elements[name];
      return f && f.value ? String(f.value).trim() : "";
    };
    var category = get("category");
    var rule = rules[category] || null;
    if (!get("lon") || !get("lat")) problems.push(["lon", d.msgNeedLocation]);
    if (!category) problems.push(["category", d.msgNeedCategory]);
    if (rule && rule.photo && photoCount(form) === 0) problems.push(["photos", d.msgNeedPhoto]);
    if (photoCount(form) > parseInt(d.photoMax || "6", 10)) problems.push(["photos", d.msgTooMany]);
    if (!get("description") && rule && rule.describe) problems.push(["description", d.msgNeedDescription]);
    ((cfg.categories || {})[category] || []).forEach(function (q) {
      if (!q.required) return;
      var inputs = form.querySelectorAll('[name="answers.' + q.code + '"]');
      var answered = Array.prototype.some.call(inputs, function (i) {
        return i.type === "checkbox" ? i.checked : String(i.value || "").trim() !== "";
      });
      if (!answered) problems.push(["answers." + q.code, format(d.msgNeedAnswer, q.label)]);
    });
    return problems;
  }

  function report(form, problems, message) {
    clearErrors(form);
    var first = null;
    var unplaced = [];
    problems.forEach(function (p) {
      var box = showError(form, p[0], p[1]);
      if (!box) unplaced.push(p[1]);
      first = first || box;
    });
    showAlert(form, [message || form.dataset.msgCheck].concat(unplaced).join(" "));
    var target = first || form.querySelector("[data-form-alert]");
    if (target) {
      target.scrollIntoView({ block: "center" });
      var focusable = target.querySelector("input:not([type=hidden]), select, textarea, button");
      if (focusable) focusable.focus({ preventScroll: true });
    }
  }

  function setupChecks(form, cfg) {
    // In the capture phase on the document, registered before the "similar reports" step's listener
    // (report-similar.js loads after this file): a report with something missing is never sent, and
    // is not looked up either.
    document.addEventListener(
      "submit",
      function (event) {
        if (event.target !== form) return;
        var problems = check(form, cfg);
        if (!problems.length) {
          clearErrors(form);
          return;
        }
        event.preventDefault();
        event.stopImmediatePropagation();
        report(form, problems);
      },
      true
    );
  }

  // --- Questions of the category ---------------------------------------------------------------
  // Each category's questions come in the page's configuration (report-questions-config); the chosen
  // category's are drawn here with inputs fitting their datatype, named answers.CODE (repeated for
  // several choices). The server checks every answer: nothing here refuses anything.

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (attrs[name] !== null && attrs[name] !== undefined && attrs[name] !== false) node.setAttribute(name, attrs[name]);
    });
    if (text) node.textContent = text;
    return node;
  }

  function setupQuestions(form) {
    var box = form.querySelector("[data-questions]");
    var list = form.querySelector("[data-questions-list]");
    var select = form.querySelector("[data-category]");
    var source = document.getElementById("report-questions-config");
    if (!box || !list || !select || !source) return;
    var config = JSON.parse(source.textContent || "{}");
    var byCategory = config.categories || {};
    // What was typed, by question code: kept across a change of category and a refused submission.
    var values = config.values || {};
    var errors = config.errors || {};
    var errorsFor = select.value;
    var fallback = form.querySelector("[data-questions-fallback]");
    if (fallback) fallback.remove();

    function remember() {
      list.querySelectorAll("[data-question]").forEach(function (field) {
        var code = field.dataset.question;
        var inputs = field.querySelectorAll("[name]");
        if (field.dataset.multiple === "1") {
          values[code] = Array.prototype.filter.call(inputs, function (i) { return i.checked; }).map(function (i) { return i.value; });
        } else if (inputs.length) {
          values[code] = inputs[0].value;
        }
      });
    }

    function has(code, key) {
      var value = values[code];
      return Array.isArray(value) ? value.indexOf(key) >= 0 : value === key;
    }

    function question(q) {
      var id = "id_answers_" + q.code;
      var name = "answers." + q.code;
      var error = errorsFor === select.value ? errors[q.code] : "";
      var isList = q.datatype === "multivaluelist";
      var field = el(isList ? "fieldset" : "div", {
        "class": "form-field question question--" + q.datatype + (isList ? " choice-field" : "") + (error ? " has-error" : ""),
        "data-question": q.code,
        "data-multiple": isList ? "1" : "0"
      });
      var label = el(isList ? "legend" : "label", isList ? {} : { "for": id }, q.label);
      label.appendChild(el("span", { "class": "question__mark" + (q.required ? " is-required" : "") }, q.required ? box.dataset.msgRequired : box.dataset.msgOptional));
      field.appendChild(label);
      var described = [];
      if (q.hint) described.push(id + "_hint");
      if (error) described.push(id + "_error");
      var common = {
        id: id,
        name: name,
        "aria-required": q.required ? "true" : null,
        "aria-invalid": error ? "true" : null,
        "aria-describedby": described.join(" ") || null
      };
      var value = values[q.code];
      var input;
      if (q.datatype === "text") {
        input = el("textarea", Object.assign({ rows: "3", maxlength: "2000" }, common));
        input.value = value || "";
      } else if (q.datatype === "singlevaluelist") {
        input = el("select", common);
        input.appendChild(el("option", { value: "" }, box.dataset.msgChoose));
        q.values.forEach(function (choice) {
          input.appendChild(el("option", { value: choice.key, selected: has(q.code, choice.key) ? "selected" : null }, choice.name));
        });
      } else if (isList) {
        input = el("div", { "class": "choice-list", "aria-describedby": common["aria-describedby"] });
        q.values.forEach(function (choice, index) {
          var option = el("label", { "class": "choice" });
          option.appendChild(el("input", {
            type: "checkbox",
            name: name,
            value: choice.key,
            id: id + "_" + index,
            checked: has(q.code, choice.key) ? "checked" : null
          }));
          option.appendChild(el("span", {}, choice.name));
          input.appendChild(option);
        });
      } else {
        var kinds = {
          number: { type: "number", step: "any", inputmode: "decimal" },
          datetime: { type: "datetime-local" },
          string: { type: "text", maxlength: "200" }
        };
        input = el("input", Object.assign({}, kinds[q.datatype] || kinds.string, common));
        input.value = value || "";
      }
      field.appendChild(input);
      if (q.hint) field.appendChild(el("span", { "class": "helptext", id: id + "_hint" }, q.hint));
      if (error) {
        var errorList = el("ul", { "class": "errorlist", id: id + "_error" });
        errorList.appendChild(el("li", {}, error));
        field.appendChild(errorList);
      }
      return field;
    }

    function render() {
      remember();
      list.innerHTML = "";
      var questions = byCategory[select.value] || [];
      questions.forEach(function (q) {
        list.appendChild(question(q));
      });
      box.hidden = questions.length === 0;
    }

    select.addEventListener("change", render);
    render();
  }

  // --- Map and position -----------------------------------------------------------------------

  function inside(point, ring) {
    // Ray casting on [lon, lat] pairs.
    var x = point[0], y = point[1], result = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) result = !result;
    }
    return result;
  }

  function covers(geometry, point) {
    var polygons = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.type === "MultiPolygon" ? geometry.coordinates : [];
    return polygons.some(function (rings) {
      if (!rings.length || !inside(point, rings[0])) return false;
      for (var k = 1; k < rings.length; k++) if (inside(point, rings[k])) return false;
      return true;
    });
  }

  function setupMap(form) {
    var container = form.querySelector("[data-report-map]");
    var lonInput = form.querySelector("[name=lon]");
    var latInput = form.querySelector("[name=lat]");
    var crsInput = form.querySelector("[name=crs]");
    var status = form.querySelector("[data-locate-status]");
    var actions = form.querySelector("[data-locate-actions]");
    if (!container || typeof L === "undefined" || !lonInput || !latInput) return;
    var data = JSON.parse(document.getElementById(container.dataset.geo).textContent);
    var outlines = data.outlines || [];
    var tileUrl = container.dataset.tileUrl || "";
    var tileCrs = container.dataset.tileCrs || "wgs84";
    var crs = window.CivicGrid && window.CivicGrid.crs;

    var map = L.map(container, { zoomSnap: 0.25, scrollWheelZoom: false, tap: false, attributionControl: Boolean(tileUrl) });
    if (tileUrl) {
      container.classList.add("map--tiles");
      L.tileLayer(tileUrl, { attribution: container.dataset.tileAttribution || "", maxZoom: 19 }).addTo(map);
      // Place names sent as tiles of their own (天地图), drawn above the map.
      if (container.dataset.tileLabelsUrl) L.tileLayer(container.dataset.tileLabelsUrl, { maxZoom: 19 }).addTo(map);
    }
    var bounds = L.latLngBounds([]);
    if (outlines.length) {
      var layer = L.geoJSON({ type: "FeatureCollection", features: outlines }, { style: OUTLINE_STYLE, interactive: false }).addTo(map);
      bounds = layer.getBounds();
    } else if (data.extent) {
      bounds = L.latLngBounds(data.extent);
    }
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [12, 12] });
    else map.setView([35, 105], 4);

    var icon = L.divIcon({ className: "report-pin", html: PIN_HTML, iconSize: [36, 48], iconAnchor: [18, 46] });
    var marker = L.marker(map.getCenter(), { draggable: true, icon: icon, keyboard: true, autoPan: true });

    function say(text) {
      if (status) status.textContent = text;
    }

    function where(lat, lon) {
      var hit = null;
      outlines.some(function (feature) {
        if (feature.geometry && covers(feature.geometry, [lon, lat])) {
          hit = feature.properties.name;
          return true;
        }
        return false;
      });
      if (hit) return format(form.dataset.msgInside, hit);
      return outlines.length ? form.dataset.msgOutside : "";
    }

    function setPoint(latlng, message) {
      latInput.value = latlng.lat.toFixed(6);
      lonInput.value = latlng.lng.toFixed(6);
      if (crsInput) crsInput.value = tileCrs;
      marker.setLatLng(latlng);
      if (!map.hasLayer(marker)) marker.addTo(map);
      container.dataset.pinned = "1";
      var place = where(latlng.lat, latlng.lng);
      say([message, place].filter(Boolean).join(" "));
    }

    marker.on("dragend", function () {
      setPoint(marker.getLatLng(), form.dataset.msgMoved);
    });
    map.on("click", function (event) {
      setPoint(event.latlng, form.dataset.msgMoved);
    });

    function typed() {
      var lat = parseFloat(latInput.value), lon = parseFloat(lonInput.value);
      if (isFinite(lat) && isFinite(lon) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180) return L.latLng(lat, lon);
      return null;
    }
    [lonInput, latInput].forEach(function (input) {
      input.addEventListener("change", function () {
        var point = typed();
        if (point) {
          setPoint(point, "");
          map.setView(point, Math.max(map.getZoom(), 16));
        }
      });
    });

    function locate() {
      if (!navigator.geolocation || (tileCrs !== "wgs84" && !crs)) {
        say(form.dataset.msgUnsupported);
        return;
      }
      say(form.dataset.msgLocating);
      navigator.geolocation.getCurrentPosition(
        function (position) {
          // GPS gives WGS-84; drawn (and sent) where the tiles show that place.
          var fix = tileCrs === "wgs84" ? [position.coords.longitude, position.coords.latitude]
            : crs.toTiles(tileCrs, position.coords.longitude, position.coords.latitude);
          var point = L.latLng(fix[1], fix[0]);
          map.setView(point, 17);
          setPoint(point, format(form.dataset.msgLocated, Math.round(position.coords.accuracy || 0)));
        },
        function () {
          say(form.dataset.msgDenied);
        },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
      );
    }

    if (actions) actions.hidden = false;
    var locateButton = form.querySelector("[data-locate]");
    var centreButton = form.querySelector("[data-use-centre]");
    if (locateButton) locateButton.addEventListener("click", locate);
    if (centreButton) {
      centreButton.addEventListener("click", function () {
        setPoint(map.getCenter(), form.dataset.msgMoved);
      });
    }

    var start = typed();
    // A point sent in another system than the tiles' (from a page drawn before the tiles changed)
    // is kept as sent, and not drawn where it does not belong.
    var startCrs = crsInput ? crsInput.value || "wgs84" : tileCrs;
    if (start && startCrs === tileCrs) {
      // Back from a refused submission: the pin stays where it was.
      map.setView(start, 17);
      setPoint(start, "");
    } else if (!start && navigator.permissions && navigator.permissions.query) {
      // Find the position straight away (the report is about where the person stands), unless
      // they refused it before: then the map and its centre button are the way.
      navigator.permissions.query({ name: "geolocation" }).then(
        function (result) {
          if (result.state !== "denied") locate();
        },
        function () {}
      );
    } else if (!start) {
      locate();
    }
    window.setTimeout(function () {
      map.invalidateSize();
    }, 150);
    container.dataset.ready = "1";
  }

  // --- Send: online now, else into the phone's outbox ---------------------------------------------
  // The script sends the form itself (same fields, same idempotency key) and reads JSON back: a
  // refusal is marked at its fields with the photos still chosen; without a signal the report waits
  // in the outbox (outbox.js) and goes out when the signal returns. Without JavaScript the form posts.

  function setupSend(form) {
    var button = form.querySelector("[data-submit]");
    var outbox = window.CivicGrid && window.CivicGrid.outbox;
    if (!button || !window.fetch || !window.FormData) return;
    var label = button.textContent;

    function idle() {
      form.dataset.sending = "";
      button.removeAttribute("aria-disabled");
      button.textContent = label;
    }

    function queued() {
      var panel = document.querySelector("[data-queued-panel]");
      form.hidden = true;
      if (panel) {
        panel.hidden = false;
        panel.focus();
        window.scrollTo(0, 0);
      }
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (form.dataset.sending === "1") return;
      form.dataset.sending = "1";
      button.setAttribute("aria-disabled", "true");
      button.textContent = form.dataset.msgSending || label;
      var data = new FormData(form);
      var url = form.getAttribute("action") || window.location.pathname;
      var title = form.dataset.msgOutboxTitle || "";
      var select = form.querySelector("[data-category]");
      if (select && select.selectedIndex > 0) title = select.options[select.selectedIndex].text;
      var sent = outbox ? outbox.send(url, data) : fetch(url, { method: "POST", body: data, credentials: "same-origin", headers: { Accept: "application/json" } });
      sent.then(
        function (response) {
          return response.json().then(
            function (body) { return { status: response.status, body: body }; },
            function () { return { status: response.status, body: {} }; }
          );
        }
      ).then(
        function (answer) {
          if (answer.status < 300 && answer.body.url) {
            window.location.assign(answer.body.url);
            return;
          }
          idle();
          var fields = answer.body.fields || {};
          var problems = Object.keys(fields).filter(function (name) { return name !== "__all__"; }).map(function (name) {
            return [name, fields[name]];
          });
          var message = answer.body.message || form.dataset.msgFailed;
          if (fields.__all__) message += " " + fields.__all__;
          if (answer.body.code === "idempotency_key_reused") renewKey(form);
          report(form, problems, message);
        },
        function () {
          // No answer at all: no signal. Keep it on the phone and send it later.
          if (!outbox) {
            idle();
            showAlert(form, form.dataset.msgFailed);
            return;
          }
          outbox.add({ kind: "report", url: url, title: title, data: data }).then(queued, function () {
            idle();
            showAlert(form, form.dataset.msgFailed);
          });
        }
      );
    });
    // Back to the page from the browser's history: the form can be sent again.
    window.addEventListener("pageshow", idle);
  }

  // A new key from the outbox (outbox.js, loaded on every page), the one that makes keys for steps too.
  function renewKey(form) {
    var key = form.querySelector("[name=idempotency_key]");
    var outbox = window.CivicGrid && window.CivicGrid.outbox;
    if (key && outbox) key.value = outbox.freshKey();
  }

  function init() {
    var form = document.querySelector("[data-report-form]");
    if (!form) return;
    var cfg = config();
    // A fresh key for each page shown: the page may come from the phone's cache, the same copy
    // each time, and each report made from it is a report of its own.
    if (form.dataset.bound !== "1") renewKey(form);
    setupCategory(form, cfg.rules || {});
    setupQuestions(form);
    setupMap(form);
    setupChecks(form, cfg);
    setupSend(form);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();

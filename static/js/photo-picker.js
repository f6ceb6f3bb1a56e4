// The camera control (includes/photo_picker.html), the same wherever a photo is taken: the report page,
// the case page's action forms, the set-up checklist. Each picker on a page works on its own.
//
// Every choice adds to the files kept so far (a camera input holds one shot at a time), so the files
// live in the picker's gallery input (data-photo-store), which the form sends; previews show them with
// remove buttons, and a count warns above the limit (data-photo-max). Browsers without DataTransfer keep
// their native behaviour: both inputs send what they hold. Without JavaScript the page styles hide the
// camera button and leave one plain file input.
//
// A change of the kept files is announced on the picker as a "photos:change" event ({count}), for the
// page's own scripts.
(function () {
  "use strict";

  var REMOVE_ICON =
    '<svg viewBox="0 0 20 20" aria-hidden="true"><path d="M5 5l10 10M15 5L5 15" stroke="currentColor" stroke-width="2.2" stroke-linecap="round"/></svg>';
  var FILE_ICON =
    '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M6 2h8l5 5v15H6z" fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round"/><path d="M14 2v5h5" fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round"/></svg>';

  function format(template, value) {
    return (template || "").replace("%s", value);
  }

  function preview(file) {
    var item = document.createElement("li");
    item.className = "photo-preview";
    if (/^image\//.test(file.type || "")) {
      var img = document.createElement("img");
      var url = URL.createObjectURL(file);
      img.src = url;
      img.alt = file.name;
      img.addEventListener("load", function () {
        URL.revokeObjectURL(url);
      });
      item.appendChild(img);
    } else {
      // A PDF (checklist evidence): its name on a tile.
      var tile = document.createElement("span");
      tile.className = "photo-preview__file";
      tile.innerHTML = FILE_ICON;
      var name = document.createElement("span");
      name.className = "photo-preview__name";
      name.textContent = file.name;
      tile.appendChild(name);
      item.appendChild(tile);
    }
    return item;
  }

  function setup(root) {
    if (root.dataset.photoReady === "1") return;
    var store = root.querySelector("[data-photo-store]");
    var camera = root.querySelector("[data-photo-camera]");
    var list = root.querySelector("[data-photo-previews]");
    var count = root.querySelector("[data-photo-count]");
    var hint = root.querySelector("[data-photo-hint]");
    if (!store || !list) return;
    root.dataset.photoReady = "1";
    var max = parseInt(root.dataset.photoMax || "6", 10);
    var canMerge = typeof DataTransfer !== "undefined";
    var kept = [];

    function sync() {
      if (!canMerge) return;
      var transfer = new DataTransfer();
      kept.forEach(function (file) {
        transfer.items.add(file);
      });
      store.files = transfer.files;
      if (camera) camera.value = "";
    }

    function current() {
      if (canMerge) return kept;
      return [].concat(
        Array.prototype.slice.call(store.files || []),
        Array.prototype.slice.call((camera && camera.files) || [])
      );
    }

    function render() {
      var files = current();
      list.innerHTML = "";
      files.forEach(function (file, index) {
        var item = preview(file);
        if (canMerge) {
          var remove = document.createElement("button");
          remove.type = "button";
          remove.className = "photo-preview__remove";
          remove.setAttribute("aria-label", (root.dataset.msgRemove || "Remove") + " " + (index + 1));
          remove.innerHTML = REMOVE_ICON;
          remove.addEventListener("click", function () {
            kept.splice(index, 1);
            sync();
            render();
          });
          item.appendChild(remove);
        }
        list.appendChild(item);
      });
      if (hint) hint.classList.toggle("is-met", files.length > 0);
      if (count) {
        var over = files.length > max;
        count.hidden = files.length === 0;
        count.textContent = over ? root.dataset.msgTooMany : format(root.dataset.msgCount, files.length);
        count.classList.toggle("is-error", over);
      }
      root.dispatchEvent(new CustomEvent("photos:change", { bubbles: true, detail: { count: files.length } }));
    }

    function take(input) {
      if (canMerge) {
        Array.prototype.forEach.call(input.files || [], function (file) {
          kept.push(file);
        });
        sync();
      }
      render();
    }

    store.addEventListener("change", function () {
      take(store);
    });
    if (camera) {
      camera.addEventListener("change", function () {
        take(camera);
      });
    }
    // The form was reset: nothing is kept any more.
    var form = root.closest("form");
    if (form) {
      form.addEventListener("reset", function () {
        kept = [];
        window.setTimeout(render, 0);
      });
    }
    // Files the browser restored into the gallery input (back to the page) are kept, not lost.
    if (canMerge && store.files && store.files.length) take(store);
  }

  function setupAll(scope) {
    var roots = scope.querySelectorAll ? scope.querySelectorAll("[data-photo-picker]") : [];
    Array.prototype.forEach.call(roots, setup);
    if (scope.matches && scope.matches("[data-photo-picker]")) setup(scope);
  }

  function init() {
    setupAll(document);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
  // Forms that arrive later (htmx) get their pickers too.
  document.addEventListener("htmx:load", function (event) {
    setupAll(event.target);
  });
})();

// The command centre: tick cases for batch dispatch, and open the filters on wide screens.
// The page works without it: the checkboxes post as they are and the filters stay folded.
(function () {
  "use strict";

  function setupBatch(root) {
    var form = root.querySelector("[data-batch-form]");
    if (!form || form.dataset.ready) return;
    form.dataset.ready = "1";
    var all = form.querySelector("[data-select-all]");
    var counter = form.querySelector("[data-selected-count]");
    var submit = form.querySelector("[data-dispatch-submit]");

    function checks() {
      return Array.prototype.slice.call(form.querySelectorAll("[data-case-check]"));
    }

    function update() {
      var boxes = checks();
      var ticked = boxes.filter(function (box) {
        return box.checked;
      }).length;
      if (counter) counter.textContent = (counter.dataset.label || "") + " " + ticked;
      if (submit) submit.disabled = ticked === 0;
      if (all) {
        all.checked = ticked > 0 && ticked === boxes.length;
        all.indeterminate = ticked > 0 && ticked < boxes.length;
      }
    }

    if (all) {
      all.addEventListener("change", function () {
        checks().forEach(function (box) {
          box.checked = all.checked;
        });
        update();
      });
    }
    form.addEventListener("change", function (event) {
      if (event.target.matches("[data-case-check]")) update();
    });
    update();
  }

  function openFiltersWhenWide(root) {
    if (!window.matchMedia("(min-width: 1024px)").matches) return;
    root.querySelectorAll("[data-filters-more]").forEach(function (details) {
      details.open = true;
    });
  }

  function ready() {
    openFiltersWhenWide(document);
    setupBatch(document);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
  // The results, panel included, are swapped in by htmx as the filters change.
  document.addEventListener("htmx:afterSettle", function () {
    setupBatch(document);
  });
})();

// The case page: one action panel open at a time, a confirmation before a danger action, one
// submission per tap, and the "navigate here" list closing when the page is tapped elsewhere.
// The panels and forms work without it.
(function () {
  "use strict";

  function setup() {
    var panels = Array.prototype.slice.call(document.querySelectorAll(".action-panel"));
    panels.forEach(function (panel) {
      panel.addEventListener("toggle", function () {
        if (!panel.open) return;
        panels.forEach(function (other) {
          if (other !== panel && other.open) other.open = false;
        });
      });
      var form = panel.querySelector("form");
      if (!form) return;
      // The lead agency cannot also co-handle: its checkbox is disabled while it is chosen.
      var lead = form.querySelector("select[name$='-agency']");
      if (lead) {
        var syncLead = function () {
          form.querySelectorAll("input[name$='-co_agencies']").forEach(function (box) {
            var isLead = box.value === lead.value;
            box.disabled = isLead;
            if (isLead) box.checked = false;
          });
        };
        lead.addEventListener("change", syncLead);
        syncLead();
      }
      form.addEventListener("submit", function (event) {
        if (form.dataset.sending === "1") {
          event.preventDefault();
          return;
        }
        if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
          event.preventDefault();
          return;
        }
        form.dataset.sending = "1";
        var button = form.querySelector("[data-submit]");
        if (button) button.setAttribute("aria-disabled", "true");
      });
    });
    window.addEventListener("pageshow", function () {
      document.querySelectorAll(".action-panel form").forEach(function (form) {
        form.dataset.sending = "";
        var button = form.querySelector("[data-submit]");
        if (button) button.removeAttribute("aria-disabled");
      });
    });
    // A form sent back with errors: bring it into view.
    var open = document.querySelector(".action-panel[open]");
    if (open) open.scrollIntoView({ block: "start" });
  }

  // "Navigate here": its list of map apps drops over the page; a tap elsewhere or Escape closes it.
  function setupNavigate() {
    var nav = document.querySelector("[data-navigate]");
    if (!nav) return;
    document.addEventListener("click", function (event) {
      if (nav.open && !nav.contains(event.target)) nav.open = false;
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && nav.open) {
        nav.open = false;
        nav.querySelector("summary").focus();
      }
    });
  }

  function init() {
    setup();
    setupNavigate();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();

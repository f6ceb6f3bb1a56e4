// Behaviour shared by every page: the phone menu and copy buttons. Pages work without it.
(function () {
  "use strict";

  function setupMenu() {
    var button = document.querySelector("[data-menu-toggle]");
    if (!button) return;
    var nav = document.getElementById(button.getAttribute("aria-controls"));
    if (!nav) return;
    function set(open) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      nav.classList.toggle("is-open", open);
    }
    button.addEventListener("click", function () {
      set(button.getAttribute("aria-expanded") !== "true");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
        set(false);
        button.focus();
      }
    });
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // Plain-HTTP intranet deployments have no Clipboard API; fall back to a selection copy.
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try {
        ok = document.execCommand("copy");
      } catch (e) {
        ok = false;
      }
      document.body.removeChild(area);
      if (ok) resolve();
      else reject(new Error("copy failed"));
    });
  }

  function setupCopy(root) {
    root.querySelectorAll("[data-copy-target]").forEach(function (button) {
      if (button.dataset.copyReady) return;
      button.dataset.copyReady = "1";
      button.hidden = false;
      button.addEventListener("click", function () {
        var target = document.getElementById(button.dataset.copyTarget);
        if (!target) return;
        var label = button.dataset.label || button.textContent;
        button.dataset.label = label;
        copyText(target.textContent.trim()).then(
          function () {
            button.textContent = button.dataset.copied || label;
          },
          function () {
            button.textContent = button.dataset.failed || label;
          }
        );
        window.setTimeout(function () {
          button.textContent = label;
        }, 2500);
      });
    });
  }

  // Colours chosen on the server (`data-dot="#c0392b"`) become the `--dot` custom property: the
  // Content-Security-Policy allows no style="" attributes, but styles set from a script are fine.
  function setupDots(root) {
    root.querySelectorAll("[data-dot]").forEach(function (el) {
      el.style.setProperty("--dot", el.dataset.dot);
    });
  }

  function ready() {
    setupMenu();
    setupCopy(document);
    setupDots(document);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
  document.addEventListener("htmx:afterSettle", function (event) {
    setupCopy(event.target);
  });
})();

// The leader's check-in code: reload the QR image when the code changes (the JSON says when).
(function () {
  "use strict";
  var img = document.querySelector("[data-qr-image]");
  if (!img) return;
  var svgUrl = img.getAttribute("data-qr-svg");
  var jsonUrl = img.getAttribute("data-qr-json");
  var status = document.querySelector("[data-qr-status]");

  function schedule(seconds) {
    window.setTimeout(refresh, Math.max(1, seconds) * 1000 + 300);
  }

  function refresh() {
    fetch(jsonUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (data) {
        img.src = svgUrl + "?t=" + Date.now();
        if (status) status.classList.remove("vol-qr__stale");
        schedule(data.refresh_in);
      })
      .catch(function () {
        if (status) status.classList.add("vol-qr__stale");
        schedule(5);
      });
  }

  refresh();
})();

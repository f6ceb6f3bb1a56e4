// The check-in confirmation: when the activity checks distance, ask the browser where it is first.
(function () {
  "use strict";
  var form = document.querySelector("[data-scan-form][data-needs-position]");
  if (!form) return;
  var status = form.querySelector("[data-scan-status]");
  var located = false;

  form.addEventListener("submit", function (event) {
    if (located) return;
    event.preventDefault();
    if (!navigator.geolocation) {
      status.textContent = form.getAttribute("data-no-position");
      return;
    }
    status.textContent = form.getAttribute("data-locating");
    navigator.geolocation.getCurrentPosition(
      function (position) {
        form.querySelector("[data-lon]").value = position.coords.longitude.toFixed(6);
        form.querySelector("[data-lat]").value = position.coords.latitude.toFixed(6);
        located = true;
        form.submit();
      },
      function () {
        // Sent without a position: the server refuses with its own message.
        located = true;
        status.textContent = form.getAttribute("data-no-position");
        form.submit();
      },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 }
    );
  });
})();

// The meeting forms: show only the fields that count for the choice made (the decision's effect on
// a case, the series' rule). Without JavaScript every field shows and the server ignores the others.
(function () {
  "use strict";

  function follow(form, radioName, attribute) {
    var radios = form.querySelectorAll('input[name="' + radioName + '"]');
    var groups = form.querySelectorAll("[" + attribute + "]");
    function update() {
      var chosen = "";
      radios.forEach(function (radio) {
        if (radio.checked) chosen = radio.value;
      });
      groups.forEach(function (group) {
        var wanted = group.getAttribute(attribute).split(" ");
        group.classList.toggle("gm-hidden", wanted.indexOf(chosen) === -1);
      });
    }
    radios.forEach(function (radio) {
      radio.addEventListener("change", update);
    });
    update();
  }

  document.querySelectorAll("[data-gm-decision]").forEach(function (form) {
    follow(form, "effect", "data-gm-effect");
  });
  document.querySelectorAll("[data-gm-series]").forEach(function (form) {
    follow(form, "rule", "data-gm-rule");
  });
})();

// The meeting pages: show only the fields that count for the choice made (the decision's effect on
// a case, the series' rule; without JavaScript every field shows and the server ignores the others),
// and ask before what cannot be undone (a form or button with data-confirm).
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

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var button = event.submitter;
    var question = (button && button.dataset.confirm) || form.dataset.confirm;
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
})();

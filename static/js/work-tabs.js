/* The tab row of the phone work lists (cases/_work_tabs.html): when the tabs are wider than the
   screen, fade the side where more of them wait (app.css: .work-tabs.is-clipped-*), and bring the
   current tab into view. */
(function () {
  "use strict";

  // A side fades while a tab is cut off there (the row's own padding does not count).
  function update(row) {
    var tabs = row.querySelectorAll(".work-tab");
    if (!tabs.length) return;
    var box = row.getBoundingClientRect();
    row.classList.toggle("is-clipped-start", tabs[0].getBoundingClientRect().left < box.left - 1);
    row.classList.toggle("is-clipped-end", tabs[tabs.length - 1].getBoundingClientRect().right > box.right + 1);
  }

  function reveal(row) {
    var current = row.querySelector('[aria-current="page"]');
    if (!current) return;
    var box = row.getBoundingClientRect();
    var tab = current.getBoundingClientRect();
    if (tab.left >= box.left && tab.right <= box.right) return;
    row.scrollLeft += tab.left - box.left - (box.width - tab.width) / 2;
  }

  function init(row) {
    reveal(row);
    update(row);
    row.addEventListener("scroll", function () { update(row); }, { passive: true });
    window.addEventListener("resize", function () { update(row); });
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-work-tabs]"), init);
})();

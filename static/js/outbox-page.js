// The outbox page: what waits on this phone to be sent, what was sent (with its tracking number) and
// what the server did not accept, from the outbox kept by outbox.js. "Send now" flushes at once.
(function () {
  "use strict";

  function two(n) {
    return (n < 10 ? "0" : "") + n;
  }

  function when(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return "";
    return (d.getMonth() + 1) + "-" + d.getDate() + " " + two(d.getHours()) + ":" + two(d.getMinutes());
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text) node.textContent = text;
    return node;
  }

  function init() {
    var list = document.querySelector("[data-outbox-list]");
    var outbox = window.CivicGrid && window.CivicGrid.outbox;
    if (!list || !outbox) return;
    var d = list.dataset;
    var empty = document.querySelector("[data-outbox-empty]");
    var sendNow = document.querySelector("[data-outbox-send]");

    function render(items) {
      list.textContent = "";
      items.slice().reverse().forEach(function (item) {
        var li = el("li", "outbox-item outbox-item--" + item.state);
        li.dataset.state = item.state;
        var head = el("div", "outbox-item__head");
        head.appendChild(el("span", "outbox-item__title", item.title || (item.kind === "report" ? d.msgReport : d.msgStep)));
        var badge = el("span", "badge outbox-item__state " + (item.state === "sent" ? "badge-green" : item.state === "refused" ? "badge-red" : "badge-amber"));
        badge.textContent = item.state === "sent" ? d.msgSent : item.state === "refused" ? d.msgRefused : d.msgWaiting;
        head.appendChild(badge);
        li.appendChild(head);
        var photos = (item.fields || []).filter(function (f) { return f[1] && f[1].file; }).length;
        var meta = d.msgSaved.replace("%s", when(item.created));
        if (photos) meta += " · " + d.msgPhotos.replace("%s", photos);
        if (item.state === "sent") meta += " · " + d.msgSentAt.replace("%s", when(item.sent));
        li.appendChild(el("p", "outbox-item__meta muted small", meta));
        if (item.state === "sent" && item.result) {
          if (item.result.tracking_number) {
            li.appendChild(el("p", "outbox-item__number", d.msgNumber.replace("%s", item.result.tracking_number)));
          }
          if (item.result.url) {
            var a = el("a", "btn btn-sm", d.msgOpen);
            a.href = item.result.url;
            li.appendChild(a);
          }
        }
        if (item.state === "refused") {
          li.appendChild(el("p", "outbox-item__message", item.message || ""));
        }
        if (item.state !== "waiting") {
          var drop = el("button", "btn btn-sm outbox-item__drop", d.msgRemove);
          drop.type = "button";
          drop.addEventListener("click", function () {
            outbox.remove(item.id);
          });
          li.appendChild(drop);
        }
        list.appendChild(li);
      });
      if (empty) empty.hidden = items.length > 0;
      if (sendNow) sendNow.hidden = !items.some(function (i) { return i.state === "waiting"; });
    }

    outbox.onChange(render);
    outbox.all().then(render, function () {
      if (empty) empty.hidden = false;
    });
    if (sendNow) {
      sendNow.addEventListener("click", function () {
        sendNow.setAttribute("aria-disabled", "true");
        outbox.flush().then(function () {
          sendNow.removeAttribute("aria-disabled");
        });
      });
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();

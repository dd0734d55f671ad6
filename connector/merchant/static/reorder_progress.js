/* The sales history read's progress (and the advice recompute's: its "fields"): asks the page's JSON endpoint every second (through
   connectorFetch, so the session rides along) and updates the counts until the read is done.
   Without JavaScript the page has a reload link instead. */
(function () {
  "use strict";

  function number(value) {
    return (value || 0).toLocaleString("en-US");
  }

  function start(box) {
    var url = box.getAttribute("data-read-progress");
    var reload = document.querySelector("[data-reload]");

    function set(name, text) {
      var field = box.querySelector('[data-field="' + name + '"]');
      if (field) { field.textContent = text; }
    }

    function show(state) {
      var failed = state.state === "failed" || state.state === "unknown";
      var badge = box.querySelector('[data-field="state"]');
      set("state", state.state);
      if (badge) {
        badge.className = "badge " + (failed ? "badge-critical" : state.done ? "badge-success" : "badge-info");
      }
      set("text", state.text);
      if (state.history) {
        set("orders_read", number(state.history.orders_read));
        set("orders_total", state.history.orders_total === null ? "not told by the store"
          : number(state.history.orders_total));
        set("pages", number(state.history.pages));
      }
      Object.keys(state.fields || {}).forEach(function (name) { set(name, state.fields[name]); });
      box.setAttribute("data-state", state.state);
      if (state.done && reload) { reload.hidden = true; }
    }

    function ask() {
      if (!window.connectorFetch) { return; }
      window.connectorFetch(url, { headers: { "Accept": "application/json" } }).then(function (answer) {
        if (!answer.ok) { throw new Error("progress answered " + answer.status); }
        return answer.json();
      }).then(function (state) {
        show(state);
        if (!state.done) { window.setTimeout(ask, 1000); }
      }).catch(function () {
        window.setTimeout(ask, 3000);
      });
    }

    var initial = box.getAttribute("data-state");
    if (initial !== "done" && initial !== "failed" && initial !== "unknown") {
      window.setTimeout(ask, 500);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.querySelector("[data-read-progress]");
    if (box) { start(box); }
  });
}());

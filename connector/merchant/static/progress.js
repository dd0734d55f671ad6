/* A task's progress page (a supplier's poll, the sales history read, the advice recompute): asks the
   page's JSON endpoint (the box's data-progress) every second, through connectorFetch so the session
   rides along, and updates the box's [data-field] elements until the task is done: the state and its
   badge, the text, the counts of the task's record ("poll" or "history": numbers, or a field's
   data-untold text where the store did not tell) and the answer's "fields" as they are.
   Without JavaScript the page has a reload link instead. */
(function () {
  "use strict";

  var ENDED = ["done", "failed", "unknown"];

  function number(value) {
    return (value || 0).toLocaleString("en-US");
  }

  function start(box) {
    var url = box.getAttribute("data-progress");
    var reload = document.querySelector("[data-reload]");

    function field(name) {
      return box.querySelector('[data-field="' + name + '"]');
    }

    function set(name, text) {
      var element = field(name);
      if (element) { element.textContent = text; }
    }

    function count(name, value) {
      var element = field(name);
      if (!element) { return; }
      if (typeof value === "number") {
        element.textContent = number(value);
      } else if (value === null && element.hasAttribute("data-untold")) {
        element.textContent = element.getAttribute("data-untold");
      }
    }

    function show(state) {
      var record = state.poll || state.history || {};
      var failed = state.state === "failed" || state.state === "unknown" || (state.poll && state.poll.status === "failed");
      var badge = field("state");
      set("state", state.state);
      if (badge) {
        badge.className = "badge " + (failed ? "badge-critical" : state.done ? "badge-success" : "badge-info");
      }
      set("text", state.text);
      Object.keys(record).forEach(function (name) { count(name, record[name]); });
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

    if (ENDED.indexOf(box.getAttribute("data-state")) === -1) {
      window.setTimeout(ask, 500);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.querySelector("[data-progress]");
    if (box) { start(box); }
  });
}());

/* The Jobs page: follow the runs just started (the page works without this: its reload link shows the
   same status). Polls /app/jobs/progress until every run is done or failed, then reloads the page so the
   run appears in its job's history. */
(function () {
  "use strict";
  var box = document.querySelector("[data-progress-url]");
  if (!box || box.getAttribute("data-finished") === "1" || !window.connectorFetch) {
    return;
  }
  var url = box.getAttribute("data-progress-url");
  var live = box.querySelector("[data-live]");
  var tries = 0;

  function show(run) {
    var cell = box.querySelector('[data-run-status="' + run.id + '"]');
    if (cell) { cell.textContent = label(run.status); cell.className = "badge badge-" + badge(run.status); }
  }

  function label(status) {  /* the page's own word for a run waiting for a worker (jobs.html) */
    return status === "pending" ? "queued" : status;
  }

  function badge(status) {
    return status === "done" ? "success" : status === "failed" ? "critical" : "info";
  }

  function poll() {
    tries += 1;
    window.connectorFetch(url, { headers: { "Accept": "application/json" } }).then(function (answer) {
      return answer.ok ? answer.json() : Promise.reject(answer.status);
    }).then(function (body) {
      body.runs.forEach(show);
      if (body.finished) {
        if (live) { live.textContent = "Finished."; }
        window.location.reload();
        return;
      }
      if (tries < 600) { window.setTimeout(poll, 1000); }
    }).catch(function () {
      if (tries < 600) { window.setTimeout(poll, 3000); }
    });
  }

  window.setTimeout(poll, 500);
}());

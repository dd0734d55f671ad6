/* Live preview of a message template while the merchant types (the Preview button does the same
   without JavaScript): the draft is posted to the preview URL through connectorFetch (app.js) and the
   answer's subject, text and HTML, or its problems, are shown. Nothing is saved or sent. */
(function () {
  "use strict";
  var form = document.getElementById("template-form");
  if (!form || !window.connectorFetch) { return; }
  var url = form.getAttribute("data-preview-url");
  var timer = null;
  var about = document.querySelector("[data-preview-about]");
  var subject = document.querySelector("[data-preview-subject]");
  var text = document.querySelector("[data-preview-text]");
  var html = document.querySelector("[data-preview-html]");

  function refresh() {
    var body = new URLSearchParams();
    ["subject", "body", "doing", "backorder"].forEach(function (name) {
      var field = form.elements[name];
      if (field) { body.set(name, field.value); }
    });
    window.connectorFetch(url, {method: "POST", body: body, headers: {"Accept": "application/json"}})
      .then(function (answer) { return answer.json(); })
      .then(function (data) {
        if (data.problems) {
          about.textContent = "Not shown: " + Object.keys(data.problems).map(function (k) {
            return k + ": " + data.problems[k];
          }).join("; ");
          return;
        }
        about.textContent = "On " + data.about + ". Nothing is sent; links in the preview lead nowhere.";
        subject.textContent = data.subject;
        text.textContent = data.text;
        html.setAttribute("srcdoc", data.html);
      })
      .catch(function () { about.textContent = "The preview could not be updated; use the Preview button."; });
  }

  form.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 400);
  });
}());

/* The app's only script of its own (everything works without it):
   - on Shopify, a form's session token is refreshed from App Bridge (shopify.idToken()) on submit;
   - connectorFetch(url, options): a same-origin fetch that carries the session (Shopify: the
     Authorization: Bearer session token; WooCommerce: the cookie and the X-CSRF-Token header). */
(function () {
  "use strict";

  function bridge() {
    return window.shopify && typeof window.shopify.idToken === "function" ? window.shopify : null;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var field = form.querySelector ? form.querySelector("input[data-id-token]") : null;
    if (!field || !bridge() || form.getAttribute("data-token-fresh") === "1") {
      return;
    }
    event.preventDefault();
    var submitter = event.submitter;
    bridge().idToken().then(function (token) {
      if (token) { field.value = token; }
    }).catch(function () { /* keep the document-load token */ }).then(function () {
      form.setAttribute("data-token-fresh", "1");
      if (form.requestSubmit) { form.requestSubmit(submitter || undefined); } else { form.submit(); }
      form.removeAttribute("data-token-fresh");
    });
  }, true);

  window.connectorFetch = function (url, options) {
    var opts = options || {};
    var headers = new Headers(opts.headers || {});
    var csrf = document.querySelector('meta[name="csrf-token"]');
    if (csrf) { headers.set("X-CSRF-Token", csrf.getAttribute("content")); }
    var ready = bridge() ? bridge().idToken().then(function (token) {
      headers.set("Authorization", "Bearer " + token);
    }) : Promise.resolve();
    return ready.then(function () {
      opts.headers = headers;
      opts.credentials = "same-origin";
      return fetch(url, opts);
    });
  };
}());

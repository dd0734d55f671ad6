/* Backorder connector theme extension: keeps the buy button text and the line's ship-by properties in
   step with the selected variant, and saves the mixed-cart choice at once. Works with themes that
   (a) dispatch `variant:change` with {detail: {variant}} (Dawn and many others), (b) change the product
   form's `id` input, or (c) put the variant in the URL (`?variant=`, read on load and on popstate).
   Themes that re-render the product section from the server get the block rendered again instead.
   The line's properties always follow the variant the form adds (its `id` input, read again on submit);
   signals about variants of other products (quick add, featured product) are ignored. */
(function () {
  'use strict';
  function setup(root) {
    if (root.dataset.backorderReady) return;
    root.dataset.backorderReady = '1';
    var data = root.querySelector('[data-backorder-variants]');
    var states = data ? JSON.parse(data.textContent) : {};
    var propertyName = data ? data.getAttribute('data-property-name') : 'Ships by';
    var formId = root.getAttribute('data-form-id');
    var buttonText = root.getAttribute('data-button-text');
    var fallbackText = root.getAttribute('data-fallback-text');
    var form = document.getElementById(formId) || document.querySelector('form[action*="/cart/add"]');
    if (!form) return;
    // the attribute, not form.id: a product form's <input name="id"> shadows the form's id property
    var formName = form.getAttribute('id') || formId;
    var button = form.querySelector('[type="submit"][name="add"], button[type="submit"], [type="submit"]');
    var label = button && (button.querySelector('span') || button);
    var original = label ? label.textContent.trim() : '';
    var text = root.querySelector('[data-backorder-text]');

    function input(name, marker) {
      var el = root.querySelector('[' + marker + ']');
      if (!el) {
        el = document.createElement('input');
        el.type = 'hidden';
        el.setAttribute(marker, '');
        el.setAttribute('form', formName);
        root.appendChild(el);
      }
      el.name = 'properties[' + name + ']';
      return el;
    }
    function drop(marker) {
      var el = root.querySelector('[' + marker + ']');
      if (el) el.remove();
    }
    function show(variantId) {
      if (!variantId || !Object.prototype.hasOwnProperty.call(states, String(variantId))) return;
      var state = states[String(variantId)];
      var words = original;
      if (state && state.backordered && state.iso) {
        words = buttonText.split('{date}').join(state.text);  // every {date}, as the block's Liquid does
        input(propertyName, 'data-backorder-visible').value = state.text;
        input('_backorder_ships_by', 'data-backorder-iso').value = state.iso;
      } else {
        if (state && state.backordered && fallbackText) words = fallbackText;
        drop('data-backorder-visible');
        drop('data-backorder-iso');
      }
      if (label && !(button && button.disabled && words === original)) label.textContent = words;
      if (text) {
        text.hidden = words === original;
        text.textContent = words === original ? '' : words;
      }
    }
    function idField() {
      return form.querySelector('[name="id"]') || document.querySelector('[name="id"][form="' + formName + '"]');
    }
    function current() {  // the variant the form adds; the URL's when the form names none
      var field = idField();
      return (field && field.value) || new URLSearchParams(window.location.search).get('variant');
    }
    // capture phase: also themes that dispatch the event on an element without bubbling
    document.addEventListener('variant:change', function (event) {
      if (event.detail && event.detail.variant) show(event.detail.variant.id);
    }, true);
    // before the theme's own submit handler (capture phase), so the line carries the date of what it adds
    document.addEventListener('submit', function (event) {
      if (event.target === form) show(current());
    }, true);
    form.addEventListener('change', function (event) {
      if (event.target && event.target.name === 'id') show(event.target.value);
    });
    var field = idField();
    if (field && window.MutationObserver) {  // themes that set the hidden id input's value by script
      new MutationObserver(function () { show(field.value); })
        .observe(field, { attributes: true, attributeFilter: ['value'] });
    }
    // after the theme's own popstate handler has put the form back on the URL's variant
    window.addEventListener('popstate', function () { window.setTimeout(function () { show(current()); }, 0); });
    var start = current();
    if (start) show(start);
  }
  function cartChoice(root) {
    if (root.dataset.backorderReady) return;  // the script is on the page twice (product block and embed)
    root.dataset.backorderReady = '1';
    root.addEventListener('change', function (event) {
      var el = event.target;
      if (!el || el.name !== 'attributes[Backorder shipping]' || !window.fetch) return;
      window.fetch('/cart/update.js', {
        method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ attributes: { 'Backorder shipping': el.value } })
      });
    });
  }
  function init() {
    document.querySelectorAll('[data-backorder-ships-by]').forEach(setup);
    document.querySelectorAll('[data-backorder-cart]').forEach(cartChoice);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init); else init();
})();

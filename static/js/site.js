// Small enhancements. Every page works without this file: links are real links, forms real forms.
(function () {
  "use strict";

  function announce(text) {
    const live = document.getElementById("live-status");
    if (!live || !text) return;
    live.textContent = "";
    window.setTimeout(function () { live.textContent = text; }, 50);
  }

  // Copy link: the link goes to the item's anchor; where the page may write to the clipboard,
  // a plain click copies the item's full address instead, and says so.
  document.addEventListener("click", function (event) {
    const link = event.target.closest && event.target.closest("a.copy-link");
    if (!link || !navigator.clipboard || !window.isSecureContext) return;
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    const url = new URL(link.getAttribute("href"), window.location.href).href;
    navigator.clipboard.writeText(url).then(
      function () {
        link.classList.add("copied");
        announce(link.dataset.copied);
        window.setTimeout(function () { link.classList.remove("copied"); }, 2000);
      },
      function () { window.location.href = url; }
    );
  });

  // htmx posts from a button, which skips the browser's own form checks: run them first.
  document.addEventListener("htmx:beforeRequest", function (event) {
    const form = event.detail.elt.closest && event.detail.elt.closest("form");
    if (form && !form.reportValidity()) event.preventDefault();
  });

  // htmx swaps a filled answer in place. Anything else the server sends back is a whole page
  // (the form again with its errors, a conflict, the login page): show it as the page, as a
  // plain form post would.
  document.addEventListener("htmx:beforeSwap", function (event) {
    const detail = event.detail;
    if (/^\s*<!doctype html/i.test(detail.serverResponse || "")) {
      detail.shouldSwap = true;
      detail.isError = false;
      detail.target = document.body;
      detail.swapOverride = "innerHTML";
      // Followed a redirect (to the login page, say): the address bar shows where we are.
      const asked = detail.requestConfig && detail.requestConfig.path;
      const landed = detail.xhr && detail.xhr.responseURL;
      if (asked && landed && new URL(asked, window.location.href).href !== landed) {
        window.history.pushState(null, "", landed);
      }
      window.scrollTo(0, 0);
    }
  });

  // After an in-place swap, move focus to what arrived, so keyboard and screen-reader users follow.
  document.addEventListener("htmx:load", function (event) {
    const elt = event.detail.elt;
    const target = elt.matches && elt.matches("[data-focus]") ? elt : elt.querySelector && elt.querySelector("[data-focus]");
    if (target) {
      target.focus();
      announce(target.dataset.focus);
    }
  });
})();

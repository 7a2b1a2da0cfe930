/* The search page's filters, made quicker with a script; without it the page works the same with its buttons.
   - On a wide screen the filters panel (a <details>) is open beside the results; on a phone it stays closed
     above them until the visitor opens it.
   - Ticking a box (or choosing a sort order) applies it at once; after the page reloads, the panel is open
     again and the same box has the focus, so a keyboard or a phone user goes on where they were.
   - A long facet gets a box that hides the values not matching what is typed (accents and capitals ignored);
     when the facet shows only its most frequent values, the full list is fetched first (the "show all" link).
   No inline script or style (strict CSP). */
(function () {
  "use strict";

  var WIDE = "(min-width: 64rem)";
  var KEY = "platforma-filter-focus";

  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function applyOnChange(panel) {
    panel.addEventListener("change", function (event) {
      var field = event.target;
      if (!field.form || !(field.type === "checkbox" || field.tagName === "SELECT")) return;
      try { window.sessionStorage.setItem(KEY, field.id); } catch (e) { /* storage off: no focus kept */ }
      field.form.requestSubmit();
    });
  }

  function restoreFocus(panel) {
    var id = null;
    try { id = window.sessionStorage.getItem(KEY); window.sessionStorage.removeItem(KEY); } catch (e) { return; }
    var field = id && document.getElementById(id);
    if (!field || !panel.contains(field)) return;
    panel.open = true;
    var codes = field.closest("details.codes");
    if (codes) codes.open = true;
    field.focus();
  }

  function filterValues(fieldset, text) {
    var wanted = fold(text.trim());
    fieldset.querySelectorAll("li").forEach(function (item) {
      item.hidden = wanted !== "" && fold(item.textContent).indexOf(wanted) === -1;
    });
    var codes = fieldset.querySelector("details.codes");
    if (codes && wanted !== "" && codes.querySelector("li:not([hidden])")) codes.open = true;
  }

  // The facet's full list, from the page its "show all values" link opens (the same search).
  function fetchFullList(fieldset, done) {
    var toggle = fieldset.querySelector(".facet-toggle a[data-full-list]");
    if (!toggle || fieldset.getAttribute("data-full")) {
      done();
      return;
    }
    fieldset.setAttribute("data-full", "loading");
    window.fetch(toggle.href, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) {
        var full = new DOMParser().parseFromString(html, "text/html").getElementById(fieldset.id);
        var lists = fieldset.querySelectorAll("ul");
        var fullLists = full ? full.querySelectorAll("ul") : [];
        if (lists.length === fullLists.length) {
          lists.forEach(function (list, n) { list.replaceWith(document.importNode(fullLists[n], true)); });
        }
        fieldset.setAttribute("data-full", "yes");
      })
      .catch(function () { fieldset.setAttribute("data-full", "failed"); })
      .then(done);
  }

  function findBoxes(panel) {
    panel.querySelectorAll("input[data-find]").forEach(function (box) {
      var fieldset = box.closest("fieldset");
      box.closest(".facet-find").hidden = false;
      box.addEventListener("input", function () {
        fetchFullList(fieldset, function () { filterValues(fieldset, box.value); });
      });
    });
  }

  function start() {
    var panel = document.getElementById("filters");
    if (!panel) return;
    var wide = window.matchMedia(WIDE);
    if (wide.matches) panel.open = true;
    // Beside the results the panel stays open (the stylesheet shows it anyway): its summary is a heading.
    panel.querySelector("summary").addEventListener("click", function (event) {
      if (wide.matches) event.preventDefault();
    });
    // A link to a facet (#facet-country, after "show all values") opens the panel it is in.
    var target = window.location.hash && document.getElementById(window.location.hash.slice(1));
    if (target && panel.contains(target)) panel.open = true;
    applyOnChange(panel);
    findBoxes(panel);
    restoreFocus(panel);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

/* Platforma: the site's one script. Every page works without it; it only makes some things easier.
   - a profile's "search" link goes back to the visitor's own search (same-site search pages only);
   - partner forms: searchable sector and country pickers (Tom Select, loaded by those pages only), an
     organisation picker that asks the server (a participant of an action), and an "add a row" button for
     fundings and participants. No inline script or style anywhere (strict CSP). */
(function () {
  "use strict";

  // Back to the search the visitor came from: only a page of this site whose path is a search page
  // (/fr/ or /en/, with its criteria). Anything else keeps the plain search link.
  function backToSearch() {
    var link = document.querySelector("a[data-back-to-search]");
    if (!link || !document.referrer) return;
    var from;
    try { from = new URL(document.referrer); } catch (e) { return; }
    if (from.origin !== window.location.origin || !/^\/[a-z]{2}\/$/.test(from.pathname)) return;
    link.href = from.pathname + from.search;
    link.textContent = link.getAttribute("data-back-to-search");
  }

  // Searchable multiple choice lists (sectors, countries): typing filters, arrows and Enter choose,
  // Backspace removes the last choice. The <select> stays in the form, so the server sees the same data.
  function pickers() {
    var form = document.querySelector("form[data-pickers]");
    if (!form || typeof window.TomSelect !== "function") return;
    form.querySelectorAll("select[multiple]").forEach(function (select) {
      // Tom Select moves the <label> to its own box; the <select> it keeps (hidden) keeps the name too.
      var label = select.id && form.querySelector("label[for='" + select.id + "']");
      if (label) select.setAttribute("aria-label", label.textContent.replace(/\s*:\s*$/, "").trim());
      new window.TomSelect(select, {
        plugins: ["remove_button"],
        maxOptions: null,
        hidePlaceholder: true,
        placeholder: form.getAttribute("data-pickers"),
      });
    });
    form.querySelectorAll("[data-picker-help]").forEach(function (help) {
      help.textContent = help.getAttribute("data-picker-help");
    });
  }

  // A participant's organisation of the directory: a text box (its name or address typed, without script)
  // that becomes a search asking the server, the organisation's address (slug) being what is posted.
  function organisationPickers(root) {
    var form = document.querySelector("form[data-pickers]");
    if (!form || typeof window.TomSelect !== "function") return;
    root.querySelectorAll("input[data-search-url]").forEach(function (input) {
      var label = input.id && form.querySelector("label[for='" + input.id + "']");
      if (label) input.setAttribute("aria-label", label.textContent.trim());
      var url = input.getAttribute("data-search-url");
      new window.TomSelect(input, {
        maxItems: 1,
        create: false,
        dataAttr: "data-data",
        valueField: "slug",
        labelField: "name",
        searchField: ["name", "slug"],
        score: function () { return function () { return 1; }; },  // the server chose them: none hidden
        placeholder: form.getAttribute("data-pickers"),
        shouldLoad: function (query) { return query.length >= 2; },
        load: function (query, callback) {
          fetch(url + "?q=" + encodeURIComponent(query), { credentials: "same-origin" })
            .then(function (response) { return response.json(); })
            .then(function (json) { callback(json.results); })
            .catch(function () { callback(); });
        },
      });
    });
  }

  // Funding and participant rows: a new row is the formset's empty form with __prefix__ replaced by the next index.
  function addRows() {
    document.querySelectorAll("template[data-formset]").forEach(function (template) {
      var prefix = template.getAttribute("data-formset");
      var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
      var max = document.getElementById("id_" + prefix + "-MAX_NUM_FORMS");
      var body = document.getElementById(prefix + "-rows");
      var button = document.querySelector("button[data-add-row='" + prefix + "']");
      if (!total || !body || !button) return;
      button.hidden = false;
      document.querySelectorAll("[data-without-script]").forEach(function (el) { el.hidden = true; });
      button.addEventListener("click", function () {
        var index = parseInt(total.value, 10);
        if (max && index >= parseInt(max.value, 10)) { button.disabled = true; return; }
        var html = template.innerHTML.replace(/__prefix__/g, String(index));
        body.insertAdjacentHTML("beforeend", html);
        total.value = String(index + 1);
        organisationPickers(body.lastElementChild);
        var first = body.lastElementChild && body.lastElementChild.querySelector("select, input:not(.ts-hidden-accessible)");
        if (first) first.focus();
      });
    });
  }

  function start() { backToSearch(); pickers(); organisationPickers(document); addRows(); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

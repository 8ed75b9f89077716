// searchsvc: search-as-you-type suggestions as an ARIA 1.2 combobox (the page works without it).
(function () {
  "use strict";
  var input = document.getElementById("q");
  var list = document.getElementById("q-suggestions");
  if (!input || !list || !window.fetch) return;
  var form = input.form;
  var items = [];
  var active = -1;
  var timer = null;
  var seq = 0;

  function close() {
    list.hidden = true;
    list.textContent = "";
    items = [];
    active = -1;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function setActive(i) {
    if (!items.length) return;
    if (active >= 0) items[active].setAttribute("aria-selected", "false");
    active = i;
    if (active >= 0) {
      items[active].setAttribute("aria-selected", "true");
      input.setAttribute("aria-activedescendant", items[active].id);
      items[active].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function pick(text) {
    input.value = text;
    close();
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  }

  function render(suggestions) {
    close();
    if (!suggestions.length) return;
    suggestions.forEach(function (text, i) {
      var li = document.createElement("li");
      li.id = "q-option-" + i;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      li.textContent = text; // text, never HTML
      li.addEventListener("mousedown", function (e) { e.preventDefault(); });
      li.addEventListener("click", function () { pick(text); });
      list.appendChild(li);
      items.push(li);
    });
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
  }

  function fetchSuggestions() {
    var q = input.value;
    var mine = ++seq;
    if (!q.trim() || q.length > 200) { close(); return; }
    fetch("/api/suggest?q=" + encodeURIComponent(q), { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
      .then(function (data) {
        if (mine === seq && document.activeElement === input) render(data.suggestions || []);
      })
      .catch(function () { close(); });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(fetchSuggestions, 120);
  });
  input.addEventListener("keydown", function (e) {
    var open = !list.hidden && items.length > 0;
    if (e.key === "ArrowDown") {
      e.preventDefault();
      if (!open) { fetchSuggestions(); return; }
      setActive(active < items.length - 1 ? active + 1 : 0);
    } else if (e.key === "ArrowUp") {
      if (!open) return;
      e.preventDefault();
      setActive(active > 0 ? active - 1 : items.length - 1);
    } else if (e.key === "Enter") {
      if (open && active >= 0) { e.preventDefault(); pick(items[active].textContent); }
      else { seq++; close(); }
    } else if (e.key === "Escape") {
      if (open) { e.preventDefault(); seq++; close(); }
    } else if (e.key === "Tab") {
      seq++; close();
    }
  });
  input.addEventListener("blur", function () { seq++; close(); });
})();

// searchsvc: progressive enhancements; every page works without them.
(function () {
  "use strict";

  // Times in the reader's own time zone (the server writes UTC as the fallback).
  document.querySelectorAll("time.local[datetime]").forEach(function (el) {
    var d = new Date(el.getAttribute("datetime"));
    if (isNaN(d)) return;
    el.textContent = d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
    el.title = el.getAttribute("datetime");
  });

  // Filters: folded away on phones, unless the page was opened at one of them.
  var filters = document.getElementById("filters");
  var target = location.hash ? document.getElementById(decodeURIComponent(location.hash.slice(1))) : null;
  var narrow = window.matchMedia ? window.matchMedia("(max-width: 760px)") : null;
  if (filters && narrow) {
    var inFilters = target && filters.contains(target);
    if (narrow.matches && !inFilters) filters.open = false;
    narrow.addEventListener("change", function (e) { if (!e.matches) filters.open = true; });
  }
  // A facet toggle reloads the page at that toggle (#f-...): the keyboard focus goes back to
  // it and, with this script, the page keeps the scroll position it had instead of jumping.
  var KEY = "searchsvc-toggle";
  if (target && target.classList.contains("opt")) {
    var more = target.closest("details");
    while (more) { more.open = true; more = more.parentElement.closest("details"); }
    var saved = null;
    try { saved = JSON.parse(sessionStorage.getItem(KEY) || "null"); sessionStorage.removeItem(KEY); } catch (e) { saved = null; }
    if (saved && saved.href === location.href) {
      var restore = function () { window.scrollTo(0, saved.y); };
      restore();
      window.addEventListener("load", restore);
      target.focus({ preventScroll: true });
    } else {
      target.focus();
    }
  }
  document.addEventListener("click", function (e) {
    var a = e.target.closest && e.target.closest("a.opt");
    if (!a) return;
    try { sessionStorage.setItem(KEY, JSON.stringify({ href: a.href, y: window.scrollY })); } catch (err) { /* private mode */ }
  });
  // Facet toggles are links with role checkbox/radio: Space toggles them too.
  document.addEventListener("keydown", function (e) {
    var el = e.target;
    if (e.key === " " && el.classList && el.classList.contains("opt")) { e.preventDefault(); el.click(); }
  });
  // Timeline bars: a mouse shortcut to the year (the Year filter does the same by keyboard).
  document.querySelectorAll(".bars li[data-href]").forEach(function (li) {
    li.addEventListener("click", function () { location.href = li.getAttribute("data-href"); });
  });

  combobox();
})();

// Search-as-you-type suggestions as an ARIA 1.2 combobox with a live count.
function combobox() {
  "use strict";
  var input = document.getElementById("q");
  var list = document.getElementById("q-suggestions");
  var status = document.getElementById("q-status");
  if (!input || !list || !window.fetch) return;
  var MIN_CHARS = 2, DELAY = 150;
  var form = input.form;
  var items = [];
  var active = -1;
  var timer = null;
  var pending = null; // AbortController of the request in flight
  var cache = new Map(); // typed text -> suggestions, for this page's life

  function announce(text) { if (status) status.textContent = text; }

  function close() {
    list.hidden = true;
    list.textContent = "";
    items = [];
    active = -1;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function cancel() {
    clearTimeout(timer);
    if (pending) { pending.abort(); pending = null; }
  }

  function setActive(i) {
    if (active >= 0 && items[active]) items[active].setAttribute("aria-selected", "false");
    active = i;
    if (active >= 0 && items[active]) {
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

  // The typed part in normal weight, the completion in bold (text nodes only, never HTML).
  function label(li, text, typed) {
    var n = text.toLowerCase().indexOf(typed.toLowerCase()) === 0 ? typed.length : 0;
    if (n) {
      var span = document.createElement("span");
      span.className = "typed";
      span.textContent = text.slice(0, n);
      li.appendChild(span);
    }
    var b = document.createElement("b");
    b.textContent = text.slice(n);
    li.appendChild(b);
  }

  function render(suggestions, typed) {
    close();
    if (!suggestions.length) { announce("No suggestions"); return; }
    suggestions.forEach(function (text, i) {
      var li = document.createElement("li");
      li.id = "q-option-" + i;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      li.setAttribute("aria-setsize", String(suggestions.length));
      li.setAttribute("aria-posinset", String(i + 1));
      li.dataset.value = text;
      label(li, text, typed);
      li.addEventListener("mousedown", function (e) { e.preventDefault(); });
      li.addEventListener("mousemove", function () { if (active !== i) setActive(i); });
      li.addEventListener("click", function () { pick(text); });
      list.appendChild(li);
      items.push(li);
    });
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    var n = suggestions.length;
    announce(n + (n === 1 ? " suggestion" : " suggestions") + " available; use the up and down arrows to choose.");
  }

  function show(q) {
    if (document.activeElement === input && input.value === q) render(cache.get(q), q);
  }

  function fetchSuggestions() {
    var q = input.value;
    cancel();
    if (q.trim().length < MIN_CHARS || q.length > 200) { close(); announce(""); return; }
    if (cache.has(q)) { show(q); return; }
    var ctrl = window.AbortController ? new AbortController() : null;
    pending = ctrl;
    fetch("/api/suggest?q=" + encodeURIComponent(q), {
      headers: { Accept: "application/json" },
      signal: ctrl ? ctrl.signal : undefined
    })
      .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
      .then(function (data) {
        if (pending === ctrl) pending = null;
        cache.set(q, data.suggestions || []);
        show(q);
      })
      .catch(function () { /* aborted or offline: the box still works */ });
  }

  input.addEventListener("input", function () {
    cancel();
    if (cache.has(input.value)) { fetchSuggestions(); return; }
    timer = setTimeout(fetchSuggestions, DELAY);
  });
  input.addEventListener("keydown", function (e) {
    var open = !list.hidden && items.length > 0;
    if (e.key === "ArrowDown") {
      e.preventDefault();
      if (!open) { fetchSuggestions(); return; }
      if (e.altKey) return; // Alt+Down only opens the list
      setActive(active < items.length - 1 ? active + 1 : 0);
    } else if (e.key === "ArrowUp") {
      if (!open) return;
      e.preventDefault();
      if (e.altKey) { setActive(-1); return; }
      setActive(active > 0 ? active - 1 : items.length - 1);
    } else if (e.key === "Enter") {
      if (open && active >= 0) { e.preventDefault(); pick(items[active].dataset.value); }
      else { cancel(); close(); }
    } else if (e.key === "Escape") {
      if (open) { e.preventDefault(); cancel(); close(); announce(""); }
    } else if (e.key === "Tab") {
      cancel(); close();
    }
  });
  input.addEventListener("blur", function () { cancel(); close(); });
}

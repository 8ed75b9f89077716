"""Issue 19 in the real Chromium against the real server: keyboard order and layout, facets
(multi-select, disjunctive counts, show more), the combobox's announcements and requests,
forgiving errors, and the way back from an article without losing anything."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

from searchsvc.engine.indexer import index_corpus

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from servers import serve

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def many_server(tmp_path_factory):
    """Serve 12 sources and 12 sections (a third undated): facets longer than 8 values."""
    root = tmp_path_factory.mktemp("many_e2e")
    corpus, index_dir = root / "corpus", root / "index"
    corpus.mkdir()
    arts = [
        {
            "id": f"m-{i}",
            "title": f"Harbour story {i}",
            "body": f"The harbour report number {i} about ships and cranes.",
            "source": f"Outlet {i:02d}",
            "tags": [f"topic{i:02d}", "port"],
            **({"published": f"20{10 + i % 3}-05-0{1 + i % 9}"} if i % 3 else {}),
        }
        for i in range(12)
    ]
    (corpus / "m.jsonl").write_text("\n".join(json.dumps(a) for a in arts) + "\n")
    index_corpus(corpus, index_dir, rebuild=True, procs=1)
    with serve(index_dir, root / "server.log", workers=1) as base:
        yield base


def focused(page) -> str:
    """Return a short description of the focused element."""
    return page.evaluate(
        "(() => { const e = document.activeElement; return (e.id ? '#' + e.id : e.tagName)"
        " + ' ' + (e.textContent || '').trim().slice(0, 40); })()"
    )


def settles_at(page, y: float) -> float:
    """Return window.scrollY once it is within 5 px of y (or after 5 s): polled from Python,
    since wait_for_function's string form needs eval, which the page's CSP forbids."""
    got = page.evaluate("window.scrollY")
    for _ in range(50):
        if abs(got - y) < 5:
            break
        page.wait_for_timeout(100)
        got = page.evaluate("window.scrollY")
    return got


# -- 2, 5: keyboard order, targets, layout ---------------------------------------------------


def test_keyboard_reaches_skip_link_then_filters_soon_after_the_box(page, live_server):
    page.goto(live_server + "/?q=oil")
    page.keyboard.press("Tab")
    expect(page.locator("a.skip")).to_be_focused()  # no autofocus steals the first Tab
    expect(page.locator("a.skip")).to_have_text("Skip to results")
    page.locator("#q").focus()
    tabs = 0
    while not page.evaluate("document.activeElement.classList.contains('opt')") and tabs < 8:
        page.keyboard.press("Tab")
        tabs += 1
    assert tabs <= 3, f"{tabs} Tabs from the box to the first filter"
    assert page.locator(".timeline a, .timeline [tabindex]").count() == 0  # bars: no tab stops
    for box in page.locator("a.opt").evaluate_all(
        "els => els.map(e => e.getBoundingClientRect().height)"
    ):
        assert box >= 24  # WCAG 2.5.8
    page.goto(live_server + "/?q=oil")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the skip link
    page.keyboard.press("Tab")
    assert focused(page).startswith("A Oil prices move"), focused(page)


def test_on_a_phone_filters_are_folded_above_the_results(browser, live_server):
    ctx = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = ctx.new_page()
        page.goto(live_server + "/?q=oil")
        summary = page.locator("#filters > summary")
        expect(summary).to_be_visible()
        assert page.locator("#filters").get_attribute("open") is None
        assert page.locator("li.hit").first.bounding_box()["y"] < 844  # on the first screen
        summary.click()
        expect(page.locator("#filters a.opt").first).to_be_visible()
        page.goto(live_server + "/")
        assert page.locator("li.hit").first.bounding_box()["y"] < 400
        updated = page.locator(".about time.local")  # the reader's local time, not UTC
        expect(updated).not_to_have_text(re.compile("UTC$"))
        assert re.fullmatch(
            r"\d{4}-\d\d-\d\dT[\d:.]+(\+00:00|Z)", updated.get_attribute("datetime")
        )
    finally:
        ctx.close()


# -- 4: facets -------------------------------------------------------------------------------


def test_facets_are_multi_select_with_disjunctive_counts_by_keyboard(page, live_server):
    page.goto(live_server + "/?q=oil")
    markets = page.get_by_role("checkbox", name=re.compile("^markets"))
    markets.focus()
    page.keyboard.press("Space")
    page.wait_for_url(re.compile(r"tag=markets"))
    expect(page.locator("h1")).to_have_text("7 results for oil")
    markets = page.get_by_role("checkbox", name=re.compile("^markets"))
    expect(markets).to_be_focused()  # the toggle keeps the keyboard focus across the reload
    expect(markets).to_have_attribute("aria-checked", "true")
    energy = page.get_by_role("checkbox", name=re.compile("^energy"))
    expect(energy).to_contain_text("14")  # counted without the tag selection
    energy.press("Enter")
    page.wait_for_url(re.compile(r"tag=markets&tag=energy"))
    expect(page.locator("h1")).to_have_text("14 results for oil")
    for name in ("markets", "energy"):
        expect(page.get_by_role("checkbox", name=re.compile(f"^{name}"))).to_be_checked()
    expect(page.get_by_role("radio", name=re.compile("^2019"))).to_contain_text("3")
    page.get_by_role("checkbox", name=re.compile("^markets")).click()  # unchecks
    page.wait_for_url(re.compile(r"\?q=oil&tag=energy#"))
    assert page.watch.errors == []


def test_show_more_reveals_the_rest_of_a_long_facet(page, many_server):
    page.goto(many_server + "/?q=harbour")
    sources = page.locator(".facet", has=page.locator("h2", has_text="Source"))
    expect(sources.locator("a.opt:visible")).to_have_count(8)
    sources.get_by_text("Show 4 more").click()
    expect(sources.locator("a.opt:visible")).to_have_count(12)
    sources.get_by_role("checkbox", name=re.compile("^Outlet 11")).click()
    page.wait_for_url(re.compile(r"source=Outlet\+11"))
    chosen = page.locator(".facet", has=page.locator("h2", has_text="Source"))
    expect(chosen.locator("a.opt").first).to_have_attribute("aria-checked", "true")
    expect(page.locator(".facet", has_text="Undated")).to_be_visible()


# -- 8: combobox -----------------------------------------------------------------------------


def test_combobox_announces_highlights_and_spares_requests(page, live_server):
    asked = []
    page.on("request", lambda r: "/api/suggest" in r.url and asked.append(r.url.split("q=")[1]))
    page.goto(live_server + "/articles/cocoa-1")
    box = page.locator("#q")
    box.focus()
    page.keyboard.type("c")
    page.wait_for_timeout(400)
    assert asked == []  # one letter asks nothing
    page.keyboard.type("r")
    expect(page.get_by_role("listbox")).to_be_visible()
    n = page.get_by_role("option").count()
    expect(page.locator("#q-status")).to_have_text(re.compile(f"^{n} suggestions? available"))
    first = page.get_by_role("option").first
    expect(first.locator(".typed")).to_have_text("cr")  # the typed part, plain
    expect(first.locator("b")).to_have_text(re.compile(r"^\w+"))  # the completion, bold
    page.keyboard.press("Backspace")
    page.keyboard.type("r")
    page.wait_for_timeout(400)
    assert asked == ["cr"], asked  # the prefix it had came from the cache
    if n > 1:
        page.get_by_role("option").nth(1).hover()
        expect(box).to_have_attribute("aria-activedescendant", "q-option-1")
        assert page.locator("[role=option][aria-selected=true]").count() == 1
    page.keyboard.press("Escape")
    expect(page.get_by_role("listbox")).to_be_hidden()
    page.keyboard.press("Alt+ArrowDown")  # opens the list, stays in the box
    expect(page.get_by_role("listbox")).to_be_visible()
    assert box.get_attribute("aria-activedescendant") is None
    page.keyboard.type("ude oil", delay=20)  # typing fast: stale requests are dropped
    page.wait_for_timeout(500)
    assert len(asked) <= 4, asked
    assert page.watch.errors == []


# -- 6: errors -------------------------------------------------------------------------------


def test_page_zero_is_clamped_and_a_date_error_keeps_the_input(page, live_server):
    page.goto(live_server + "/?q=oil&page=0")
    expect(page).to_have_url(live_server + "/?q=oil")
    expect(page.locator("h1")).to_have_text("14 results for oil")
    page.goto(live_server + "/?q=oil&source=Reuters")
    page.fill("#from", "2021-01-02")
    page.fill("#to", "2020-01-01")
    page.get_by_role("button", name="Apply dates").click()
    page.wait_for_url(re.compile(r"from=2021-01-02"))
    error = page.locator("form.dates .field-error")
    expect(error).to_have_text("Error: ‘From’ must be the same as or before ‘To’.")
    expect(page.locator("#from")).to_have_value("2021-01-02")
    expect(page.locator("#from")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("h1")).to_have_text("7 results for oil")  # source kept
    assert page.title().startswith("Error: ")
    page.locator(".error-summary a").click()
    expect(page.locator("#from")).to_be_focused()


# -- 7: the way there and back ---------------------------------------------------------------


def test_newcomer_goes_to_a_filtered_dated_multi_tag_result_and_back(page, live_server):
    page.goto(live_server + "/")
    page.locator(".sections").get_by_role("link", name=re.compile("^energy")).click()
    page.wait_for_url(re.compile(r"\?tag=energy"))
    page.fill("#q", "oil")
    page.press("#q", "Enter")
    page.wait_for_url(re.compile(r"\?q=oil"))
    page.get_by_role("checkbox", name=re.compile("^energy")).click()
    page.get_by_role("checkbox", name=re.compile("^markets")).click()
    page.wait_for_url(re.compile(r"tag=energy&tag=markets"))
    page.get_by_role("radio", name=re.compile("^2021")).click()
    page.wait_for_url(re.compile(r"from=2021-01-01&to=2021-12-31"))
    page.get_by_role("link", name="Newest first").click()
    page.wait_for_url(re.compile(r"sort=newest"))
    results_url = page.url
    expect(page.locator(".chips[aria-label='Active filters'] li")).to_have_count(4)
    titles = page.locator("li.hit h2").all_inner_texts()
    page.locator("li.hit h2 a").last.click()
    page.wait_for_url(re.compile(r"/articles/"))
    page.get_by_role("link", name=re.compile("Back to results")).click()
    assert page.url.split("#")[0] == results_url.split("#")[0]
    assert re.search(r"#r\d+$", page.url)
    assert page.locator("li.hit h2").all_inner_texts() == titles
    expect(page.locator("#from")).to_have_value("2021-01-01")


def test_browser_back_keeps_the_scroll_position(page, live_server):
    page.set_viewport_size({"width": 1280, "height": 500})
    page.goto(live_server + "/?q=oil")
    page.evaluate("window.scrollTo(0, 751)")
    page.wait_for_timeout(100)
    y = page.evaluate("window.scrollY")
    page.locator("li.hit h2 a").nth(6).click()
    page.wait_for_url(re.compile(r"/articles/"))
    page.go_back()
    assert abs(settles_at(page, y) - y) < 5


def test_a_toggle_keeps_the_scroll_position_and_the_focus(page, live_server):
    page.set_viewport_size({"width": 1280, "height": 500})
    page.goto(live_server + "/?q=oil")
    year = page.get_by_role("radio", name=re.compile("^2019"))
    year.scroll_into_view_if_needed()
    page.evaluate("window.scrollBy(0, 40)")
    y = page.evaluate("window.scrollY")
    assert y > 0
    year.click()
    page.wait_for_url(re.compile(r"from=2019-01-01&to=2019-12-31#f-year-"))
    page.wait_for_load_state("load")
    expect(page.get_by_role("radio", name=re.compile("^2019"))).to_be_focused()
    expect(page.get_by_role("radio", name=re.compile("^2019"))).to_be_checked()
    assert abs(settles_at(page, y) - y) < 5

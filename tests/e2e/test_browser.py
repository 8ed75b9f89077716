"""Real Chromium against the real gunicorn server: search, paging, facets, keyboard, XSS, no-JS."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def search(page, base: str, q: str) -> None:
    """Type a query in the box and submit it with Enter."""
    page.goto(base + "/")
    page.fill("#q", q)
    page.press("#q", "Enter")
    page.wait_for_url(re.compile(r"\?q="))


def test_typing_a_query_shows_highlighted_results(page, live_server):
    search(page, live_server, "oil")
    expect(page).to_have_url(live_server + "/?q=oil")
    expect(page.locator(".count")).to_contain_text("14 results")
    expect(page.locator("li.hit")).to_have_count(10)
    expect(page.locator("li.hit mark").first).to_have_text(re.compile("oil", re.I))
    assert page.watch.errors == [] and page.watch.dialogs == []


def test_going_to_page_two(page, live_server):
    search(page, live_server, "oil")
    page.get_by_role("link", name="Page 2").click()
    page.wait_for_url(re.compile(r"page=2"))
    expect(page.locator("li.hit")).to_have_count(4)
    expect(page.locator(".pages strong")).to_have_text("Page 2")


def test_clicking_a_facet_filters_and_changes_the_url(page, live_server):
    search(page, live_server, "oil")
    page.locator("#filters").get_by_role("checkbox", name="Reuters").click()
    page.wait_for_url(re.compile(r"source=Reuters"))
    expect(page.locator(".count")).to_contain_text("7 results")
    sources = page.locator("li.hit .source").all_inner_texts()
    assert sources and set(sources) == {"Reuters"}
    page.get_by_role("link", name="Remove filter Source: Reuters").click()
    page.wait_for_url(live_server + "/?q=oil")
    expect(page.locator(".count")).to_contain_text("14 results")


def test_timeline_bar_filters_to_its_period(page, live_server):
    search(page, live_server, "oil")
    page.locator(".bars li[data-href]").first.click()  # a mouse shortcut to the year
    page.wait_for_url(re.compile(r"from=2019-01-01&to=2019-12-31"))
    expect(page.locator(".count")).to_contain_text("3 results")
    expect(page.locator("#from")).to_have_value("2019-01-01")


def test_keyboard_only_suggestions_combobox(page, live_server, screenshots_dir):
    page.goto(live_server + "/articles/cocoa-1")  # no autofocus here: reach the box with Tab
    box = page.locator("#q")
    for _ in range(6):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "q":
            break
    expect(box).to_be_focused()
    page.keyboard.type("cru")
    listbox = page.get_by_role("listbox")
    expect(listbox).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("option").first).to_have_text("crude")
    page.keyboard.press("ArrowDown")
    expect(box).to_have_attribute("aria-activedescendant", "q-option-0")
    expect(page.locator("#q-option-0")).to_have_attribute("aria-selected", "true")
    page.screenshot(path=str(screenshots_dir / "suggestions-desktop.png"))
    page.keyboard.press("Escape")
    expect(listbox).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(box).to_have_value("cru")
    page.keyboard.press("ArrowDown")  # reopens
    expect(listbox).to_be_visible()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url(live_server + "/?q=crude")
    expect(page.locator("li.hit").first).to_be_visible()
    assert page.watch.errors == []


def test_back_button_restores_previous_results(page, live_server):
    search(page, live_server, "oil")
    search(page, live_server, "coffee")
    expect(page.locator("li.hit")).to_have_count(1)
    page.go_back()  # to the empty home page that `search` opened
    page.go_back()
    expect(page).to_have_url(live_server + "/?q=oil")
    expect(page.locator("#q")).to_have_value("oil")
    expect(page.locator("li.hit")).to_have_count(10)


def test_opening_an_article_shows_highlighted_terms(page, live_server):
    search(page, live_server, "cocoa")
    page.locator("li.hit h2 a").first.click()
    page.wait_for_url(re.compile(r"/articles/cocoa-1\?q=cocoa"))
    expect(page.locator("h1")).to_have_text("Cocoa grinding figures rise in Europe")
    expect(page.locator(".body mark").first).to_have_text(re.compile("cocoa", re.I))
    expect(page.get_by_role("heading", name="More like this")).to_be_visible()


def test_xss_article_and_query_do_not_execute(page, live_server):
    search(page, live_server, "zanzibar")
    expect(page.locator("li.hit h2 a").first).to_contain_text("<script>window.__xss=1</script>")
    page.locator("li.hit h2 a").first.click()
    page.wait_for_url(re.compile(r"/articles/xss-1"))
    expect(page.locator(".body")).to_contain_text('<img src=x onerror="window.__xss=4">')
    assert page.locator(".body img, .body script, h1 script").count() == 0
    hostile = '"><script>window.__xss=7</script><img src=x onerror="window.__xss=8">'
    page.goto(live_server + "/?q=" + hostile.replace("#", "%23"))
    expect(page.locator("#q")).to_have_value(hostile)
    page.goto(live_server + "/articles/xss-1?q=" + hostile)
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.watch.dialogs == []
    assert not [e for e in page.watch.errors if "Content Security Policy" in e]
    assert page.watch.errors == []


def test_search_works_without_javascript(browser, live_server):
    ctx = browser.new_context(java_script_enabled=False)
    try:
        page = ctx.new_page()
        page.goto(live_server + "/")
        page.fill("#q", "oil")
        page.press("#q", "Enter")
        page.wait_for_url(live_server + "/?q=oil")
        expect(page.locator("li.hit")).to_have_count(10)
        page.get_by_role("link", name="Newest").click()
        page.wait_for_url(re.compile("sort=newest"))
        page.fill("#from", "2020-01-01")
        page.get_by_role("button", name="Apply dates").click()
        page.wait_for_url(re.compile(r"from=2020-01-01"))
        expect(page.locator(".count")).to_contain_text("results")
    finally:
        ctx.close()


@pytest.mark.parametrize("name,width,height", [("desktop", 1280, 800), ("phone", 390, 844)])
def test_screenshots_of_results_and_article(
    browser, live_server, screenshots_dir, name, width, height
):
    ctx = browser.new_context(viewport={"width": width, "height": height})
    try:
        page = ctx.new_page()
        page.goto(live_server + "/?q=oil")
        expect(page.locator("li.hit").first).to_be_visible()
        overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
        assert not overflow, "the results page scrolls sideways"
        page.screenshot(path=str(screenshots_dir / f"results-{name}.png"), full_page=True)
        page.goto(live_server + "/")
        page.screenshot(path=str(screenshots_dir / f"home-{name}.png"), full_page=True)
        page.goto(live_server + "/articles/oil-02?q=oil")
        page.screenshot(path=str(screenshots_dir / f"article-{name}.png"), full_page=True)
        page.goto(live_server + "/?q=xylophone&source=BBC")
        page.screenshot(path=str(screenshots_dir / f"noresults-{name}.png"), full_page=True)
    finally:
        ctx.close()

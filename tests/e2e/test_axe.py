"""axe-core (from npm, tests/e2e/package.json) in the real Chromium over every kind of page, at
desktop and phone widths, in light and dark: no violation of impact moderate or above of the
WCAG 2.2 A/AA and best-practice rules. Screenshots of the results page go to artifacts/."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa", "best-practice"]
PAGES = {
    "home": "/",
    "results": "/?q=oil",
    "filtered": "/?q=oil&tag=markets&tag=energy&from=2019-01-01&to=2019-12-31&undated=1",
    "no-results": "/?q=xylophone&source=BBC",
    "misspelled": "/?q=coffe",
    "undated": "/?q=oil+OR+inflation",
    "article": "/articles/oil-02?q=oil&tag=energy&r=3",
    "error": "/no/such/page",
    "date-error": "/?q=oil&from=2021-01-02&to=2020-01-01",
}
RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
  return result.violations
    .filter(v => ["moderate", "serious", "critical"].includes(v.impact))
    .map(v => `${v.id} (${v.impact}): ` +
      v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", "));
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name,width,height", [("desktop", 1280, 800), ("phone", 390, 844)])
def test_axe_finds_nothing_on_any_page(
    browser, live_server, screenshots_dir, name, width, height, scheme
):
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `python3 dev.py test` installs it (npm ci in tests/e2e)")
    ctx = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme)
    ctx.add_init_script(path=str(AXE))  # through the DevTools protocol: the CSP stays strict
    try:
        page = ctx.new_page()
        found = {}
        for label, path in PAGES.items():
            page.goto(live_server + path)
            violations = page.evaluate(RUN, TAGS)
            if violations:
                found[label] = violations
            if label == "results":
                shot = screenshots_dir / f"results-{scheme}-{width}.png"
                page.screenshot(path=str(shot), full_page=True)
        assert found == {}, f"axe at {width}px, {scheme}: {found}"
    finally:
        ctx.close()

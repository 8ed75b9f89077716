"""Snippets and highlighting: stems match, everything is escaped, long articles work."""

from __future__ import annotations

import re
import time

from searchsvc.text.snippets import ELLIPSIS, Match, highlight, lead, make_snippet

XSS = "Tom & Jerry <script>alert(1)</script> cheese"


def visible(html_text: str) -> str:
    """Return the text a reader sees (tags removed, entities left)."""
    return re.sub(r"</?mark>", "", html_text)


def test_everything_is_escaped_and_matches_marked():
    assert make_snippet(XSS, ["cheese"]) == (
        "Tom &amp; Jerry &lt;script&gt;alert(1)&lt;/script&gt; <mark>cheese</mark>"
    )


def test_markup_in_the_match_itself_is_inert():
    out = make_snippet("<b>alert</b> & more", ["alert"])
    assert out == "&lt;b&gt;<mark>alert</mark>&lt;/b&gt; &amp; more"


def test_stems_match_other_forms():
    out = make_snippet("She runs every morning and ran a marathon.", ["running"])
    assert out == "She <mark>runs</mark> every morning and ran a marathon."


def test_query_string_is_accepted_and_exclusions_not_marked():
    out = make_snippet("Oil prices rose; OPEC met.", '"oil prices" -opec')
    assert out == "<mark>Oil</mark> <mark>prices</mark> rose; OPEC met."


def test_deep_match_in_a_50k_character_article():
    text = ("lorem ipsum dolor sit amet " * 1700)[:45_000] + " the zebra crossing " + "x " * 2500
    assert len(text) > 50_000
    t0 = time.perf_counter()
    out = make_snippet(text, ["zebra"])
    assert time.perf_counter() - t0 < 1.0
    assert "<mark>zebra</mark>" in out
    assert out.startswith(ELLIPSIS) and out.endswith(ELLIPSIS)
    assert 150 <= len(visible(out)) <= 270


def test_no_match_falls_back_to_the_lead():
    body = "Lava flowed down the mountain for hours. " * 20
    out = make_snippet(body, ["volcano"])
    assert out == lead(body)
    assert out.endswith(ELLIPSIS) and len(out) <= 201
    assert (
        out
        == "Lava flowed down the mountain for hours. " * 4 + "Lava flowed down the mountain for…"
    )


def test_lead_short_text_escaped_whole():
    assert lead("A & B") == "A &amp; B"


def test_up_to_three_passages_for_distinct_terms():
    text = "alpha starts here. " + "filler words " * 400 + "omega ends there. " + "more " * 300
    out = make_snippet(text, ["alpha", "omega"])
    assert "<mark>alpha</mark>" in out and "<mark>omega</mark>" in out
    assert f" {ELLIPSIS} " in out
    assert len(visible(out)) <= 270


def test_parts_are_passed_in_not_subclassed():
    def loud(text, start, end, matches: list[Match]):
        return "|".join(text[m.start : m.end].upper() for m in matches)

    assert make_snippet("cats and dogs", ["dog"], formatter=loud) == "DOGS"


def test_highlight_whole_text():
    text = "Rates & rate cuts <i>\nnew line rated"
    assert highlight(text, ["rates"]) == (
        "<mark>Rates</mark> &amp; <mark>rate</mark> cuts &lt;i&gt;\nnew line <mark>rated</mark>"
    )
    assert highlight("economy economist", ["econo*"]) == (
        "<mark>economy</mark> <mark>economist</mark>"
    )
    assert highlight("a < b", []) == "a &lt; b"

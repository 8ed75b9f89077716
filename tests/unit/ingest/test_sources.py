"""Outlet names: one key per outlet, domains, and names read from copyright lines."""

from __future__ import annotations

import pytest

from searchsvc.ingest.sources import domain_of, name_from_copyright, source_key


def test_every_spelling_of_an_outlet_gives_one_key():
    variants = [
        "The Marlow Valley Courier",
        "Marlow Valley Courier",
        "  the  marlow valley courier ",
        "MARLOW-VALLEY COURIER",
        "Marlow Valley Courier.",
    ]
    assert {source_key(v) for v in variants} == {"marlowvalleycourier"}
    assert source_key("Zürcher Zeitung") == source_key("Zurcher Zeitung") == "zurcherzeitung"
    assert source_key("Le Café du Commerce") == "lecafeducommerce"
    assert source_key("Theatre Weekly") == "theatreweekly"  # only a whole leading "The"
    assert source_key("Wendshire Evening Post") != source_key("wendshirepost.example")
    assert source_key("日本経済新聞") == "日本経済新聞"
    assert source_key("") == ""


@pytest.mark.parametrize(
    ("url", "domain"),
    [
        ("https://www.wendshirepost.example/politics/2024/07/05/x", "wendshirepost.example"),
        ("http://News.Example.ORG:8080/a?b=c", "news.example.org"),
        ("https://wwwx.example.com/", "wwwx.example.com"),
        ("not a url", ""),
        ("", ""),
        ("http://[::1", ""),
    ],
)
def test_domain_of(url, domain):
    assert domain_of(url) == domain


@pytest.mark.parametrize(
    ("line", "name"),
    [
        ("© 2025 The English Chronicle. All rights reserved.", "The English Chronicle"),
        ("&copy; 2019 Marlow Valley Courier. All rights reserved.", "Marlow Valley Courier"),
        ("Copyright © 2010-2024 Harbour Media Ltd. All rights reserved", "Harbour Media"),
        ("Copyright 2023, Northgate Daily | Privacy | Terms", "Northgate Daily"),
        ("(c) Daily Planet", "Daily Planet"),
        ("© 2024 All rights reserved.", ""),
        ("Copyright the authors", ""),
        ("No copyright notice here", ""),
    ],
)
def test_name_from_copyright(line, name):
    assert name_from_copyright(line) == name

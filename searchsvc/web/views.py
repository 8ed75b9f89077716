"""The HTML pages: search (with facets, timeline, pagination), article, OpenSearch description."""

from __future__ import annotations

from urllib.parse import urlencode
from xml.sax.saxutils import escape as _escape

from flask import Blueprint, Response, redirect, render_template, request, url_for
from markupsafe import Markup

from searchsvc.errors import NotFound
from searchsvc.text.snippets import highlight
from searchsvc.web import engine, settings
from searchsvc.web.params import SEARCH_PARAMS, has_filters, parse_search, valid_id
from searchsvc.web.textutil import (
    PAGE_CHARS,
    page_window,
    safe_url,
    shown_paragraphs,
    timeline_bars,
)

bp = Blueprint("views", __name__)


def public_url(path: str) -> str:
    """Return SEARCHSVC_PUBLIC_URL + path, or path alone: never built from the Host header."""
    return settings().public_url.rstrip("/") + path


def xml_escape(text: str) -> str:
    """Escape text for an XML attribute or element."""
    return _escape(text, {'"': "&quot;"})


NEWEST_ON_HOME = 10
MORE_LIKE_THIS = 5


def search_url(**changes) -> str:
    """Return the search URL for the current parameters with `changes` applied (None drops)."""
    args = {k: request.args.get(k, "") for k in SEARCH_PARAMS}
    if any(k != "page" for k in changes):
        args["page"] = ""  # a new query or filter starts again at page 1
    if "q" in changes:
        args["autocorrect"] = ""  # a new query may be corrected again
    for key, value in changes.items():
        args[key] = "" if value is None else str(value)
    if args.get("page") == "1":
        args["page"] = ""
    if args.get("sort") == "relevance":
        args["sort"] = ""
    query = urlencode([(k, v) for k, v in args.items() if v != ""])
    return url_for("views.search") + (f"?{query}" if query else "")


@bp.app_context_processor
def _helpers() -> dict:
    return {"search_url": search_url, "safe_url": safe_url}


@bp.get("/")
def search():
    """Show results for `q` with filters, or corpus statistics and the newest articles."""
    req = parse_search(request.args, settings())
    eng = engine()
    if not req.q and not has_filters(req):
        return render_template(
            "home.html",
            autofocus=True,
            req=req,
            stats=eng.stats(),
            newest=eng.newest(limit=NEWEST_ON_HOME),
        )
    page = eng.search(req)
    last = min(page.pages, settings().max_page)
    return render_template(
        "search.html",
        autofocus=True,
        req=req,
        page=page,
        first=(page.page - 1) * page.per_page + 1,
        last_page=last,
        window=page_window(page.page, last),
        bars=timeline_bars(page.timeline),
        filters=active_filters(req),
    )


def active_filters(req) -> list[tuple[str, str]]:
    """Return (label, url without that filter) for each filter in use."""
    out = []
    for value in req.source:
        out.append((f"Source: {value}", search_url(source=None)))
    for value in req.tag:
        out.append((f"Tag: {value}", search_url(tag=None)))
    if req.date_from:
        out.append((f"From {req.date_from.isoformat()}", search_url(**{"from": None})))
    if req.date_to:
        out.append((f"To {req.date_to.isoformat()}", search_url(to=None)))
    return out


@bp.get("/articles/<article_id>")
def article(article_id: str):
    """Show one article, with the words of `?q=` highlighted and similar articles."""
    if not valid_id(article_id):
        raise NotFound("No such article.")
    eng = engine()
    art = eng.article(article_id)
    q = request.args.get("q", "")[: settings().max_query_chars].replace("\x00", "")
    paras, cut = shown_paragraphs(art.body)
    if q.strip():
        # snippets.highlight escapes the whole text and adds only <mark> tags: safe to mark safe.
        body = [Markup(highlight(p, q)) for p in paras]
        title = Markup(highlight(art.title, q))
    else:
        body, title = paras, art.title
    return render_template(
        "article.html",
        art=art,
        title=title,
        body=body,
        q=q,
        url=safe_url(art.url),
        similar=eng.more_like_this(article_id, limit=MORE_LIKE_THIS),
        cut=cut,
        page_chars=PAGE_CHARS,
    )


@bp.get("/opensearch.xml")
def opensearch():
    """Return the OpenSearch description so browsers can add searchsvc as a search engine."""
    icon = xml_escape(public_url(url_for("static", filename="favicon.svg")))
    html_url = xml_escape(public_url(url_for("views.search")) + "?q={searchTerms}")
    json_url = xml_escape(public_url(url_for("api.search")) + "?q={searchTerms}")
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<OpenSearchDescription xmlns="http://a9.com/-/spec/opensearch/1.1/">\n'
        "  <ShortName>searchsvc</ShortName>\n"
        "  <Description>Full-text search of news articles</Description>\n"
        "  <InputEncoding>UTF-8</InputEncoding>\n"
        f'  <Image width="16" height="16" type="image/svg+xml">{icon}</Image>\n'
        f'  <Url type="text/html" method="get" template="{html_url}"/>\n'
        f'  <Url type="application/json" method="get" template="{json_url}"/>\n'
        "</OpenSearchDescription>\n"
    )
    return Response(xml, mimetype="application/opensearchdescription+xml")


@bp.get("/search")
def search_alias():
    """Send /search?q=... (what people and other sites guess) to the search page, /?q=..."""
    query = request.query_string.decode("latin-1")
    return redirect(url_for("views.search") + (f"?{query}" if query else ""), code=301)


@bp.get("/favicon.ico")
def favicon():
    """Redirect old-style favicon requests to the SVG icon."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)

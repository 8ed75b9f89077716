"""The HTML pages: search (facets, timeline, pagination), home, article, OpenSearch."""

from __future__ import annotations

from xml.sax.saxutils import escape as _escape

from flask import Blueprint, Response, redirect, render_template, request, url_for
from markupsafe import Markup

from searchsvc.contract import SearchRequest
from searchsvc.errors import NotFound
from searchsvc.text.snippets import highlight
from searchsvc.web import engine, settings
from searchsvc.web.params import has_filters, parse_page, valid_id
from searchsvc.web.results import (
    active_filters,
    build_facets,
    count_text,
    date_label,
    facet_pages,
    page_title,
    search_url,
    state_args,
    undated_count,
)
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


@bp.app_context_processor
def _helpers() -> dict:
    return {
        "search_url": search_url,
        "safe_url": safe_url,
        "article_url": article_url,
        "count_text": count_text,
        "date_label": date_label,
    }


def article_url(article_id: str, position: int | None = None) -> str:
    """Return an article's URL carrying the search it was found by (for the way back)."""
    args = state_args()
    if position:
        args["r"] = [str(position)]
    return url_for("views.article", article_id=article_id, **args)


@bp.get("/")
def search():
    """Show results for `q` with filters, or the home page: newest articles and sections."""
    parsed = parse_page(request.args, settings())
    if parsed.fixes:  # page=0, per_page=500, sort=oldest: show the page that was meant
        changes = dict(parsed.fixes)
        page = changes.pop("page", None)
        url = search_url(**changes) if changes else search_url(page=page or None)
        return redirect(url)
    req = parsed.req
    eng = engine()
    if not req.q and not has_filters(req) and not parsed.date_error:
        return home(eng)
    page = eng.search(req)
    last = min(page.pages, settings().max_page)
    if page.page > last and page.total:  # past the last page: the last page
        return redirect(search_url(page=last if last > 1 else None))
    pages = facet_pages(eng, req, page)
    undated = undated_count(pages["date"])
    html = render_template(
        "search.html",
        req=req,
        page=page,
        shown_q=page.results_for or req.q,
        title=page_title(req, page, last, parsed.date_error),
        first=(page.page - 1) * page.per_page + 1,
        last_page=last,
        window=page_window(page.page, last),
        bars=timeline_bars(pages["date"].timeline, req, undated),
        facets=build_facets(req, pages, undated),
        undated=undated,
        filters=active_filters(req),
        parsed=parsed,
    )
    # A bad date range is still a 400, but the page is the results page with the error next to
    # the date form and the input kept, not a dead end.
    return html, 400 if parsed.date_error else 200


def home(eng):
    """Render the home page: the box, the newest stories, the sections, then the index facts."""
    browse = eng.search(SearchRequest(sort="newest", per_page=NEWEST_ON_HOME))
    return render_template(
        "home.html",
        autofocus=True,
        browse=browse,
        undated=undated_count(browse),
        stats=eng.stats(),
    )


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
    back = state_args()
    position = request.args.get("r", "")
    fragment = f"#r{position}" if position.isdigit() and len(position) < 7 else ""
    return render_template(
        "article.html",
        back=search_url(fragment, base=back) if back else None,
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

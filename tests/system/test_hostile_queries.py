"""Hostile queries: the parser, the engine and /api/search never crash, never hang, never 500.

Every request gets a valid result or a 400 with {"error": ...}; each one is bounded in time.
The parser and the engine are also driven with the limits lifted (as batch mode does), so
the code behind the limits must cope with huge and deeply nested input too.
"""

from __future__ import annotations

import json
import time
import urllib.parse
from http.client import HTTPConnection

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from searchsvc.config import Settings
from searchsvc.contract import SearchRequest
from searchsvc.engine.search import SearchEngine
from searchsvc.engine.store import Store
from searchsvc.errors import BadRequest
from searchsvc.text.query import parse
from searchsvc.web import create_app

MAX_SECONDS = 5.0  # no single request may take longer
LIFTED = Settings(max_query_chars=10**7, max_query_terms=10**7)
BATCH = Settings(max_query_chars=20_000, max_query_terms=2_000)  # what `search --topics` allows
NESTED = "(" * 10_000 + "oil" + ")" * 10_000
HUGE_INPUTS = [
    "x" * 100_000,
    "oil " * 25_000,
    NESTED,
    "(" * 10_000,
    ")" * 10_000,
    '"' * 10_001,
    "-" * 100_000,
    " OR " * 10_000,
    "title:" * 10_000 + "oil",
    "a* " * 5_000,
    "\x00\x01\x1f\x7f" * 1_000,
    "\u202e\ufeff\u200b\ud7ff\U0010ffff" * 2_000,
    "é" * 100_000,
    " ".join(f"term{i}" for i in range(5_000)),
    "before:" + "9" * 5_000,
    "after:0000-00-00 year:99999 before:1987-13",
]
ABSURD_NUMBERS = ["-1", "0", str(10**30), "1e9", "NaN", " 3", "3 ", "+3", "0x10", "٣", "1_0", ""]
REPEATED = [
    "q=oil&q=cocoa",
    "page=1&page=2",
    "per_page=5&per_page=500",
    "sort=newest&sort=bogus",
    "from=2020-01-01&from=x",
    "q=oil&" + "&".join(["source=x"] * 500),
]

hostile_text = (
    st.text(max_size=300)
    | st.text(alphabet=st.characters(max_codepoint=0x20), max_size=200)
    | st.text(alphabet=st.sampled_from(list('()"*-:?! OR AND NOT title:tag:source:')), max_size=400)
    | st.builds(
        lambda n, w: "(" * n + w + ")" * (n // 2), st.integers(0, 3000), st.text(max_size=20)
    )
)


def timed(fn, *args):
    """Call fn and assert it returned within MAX_SECONDS; return its result."""
    t0 = time.monotonic()
    out = fn(*args)
    took = time.monotonic() - t0
    assert took < MAX_SECONDS, f"took {took:.1f} s"
    return out


# --- the parser and the engine, with the limits on and lifted ---


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(hostile_text)
def test_parser_accepts_anything_or_refuses_with_bad_request(text):
    for limits in (Settings(), LIFTED):
        try:
            pq = timed(parse, text, limits)
        except BadRequest as e:
            assert limits is not LIFTED, e.message
            assert "too long" in e.message or "too many terms" in e.message
            continue
        assert isinstance(pq.groups, list)


@pytest.mark.parametrize("text", HUGE_INPUTS, ids=range(len(HUGE_INPUTS)))
def test_huge_and_nested_inputs_are_parsed_in_bounded_time(text):
    timed(parse, text, LIFTED)
    if len(text) > Settings().max_query_chars:
        with pytest.raises(BadRequest, match="too long"):
            parse(text, Settings())  # over the default limits: a clear refusal, not work


@pytest.fixture(scope="module")
def batch_engine(web_index):
    store = Store(web_index)
    yield SearchEngine(store, BATCH)
    store.close()


@pytest.mark.parametrize("text", HUGE_INPUTS, ids=range(len(HUGE_INPUTS)))
def test_the_engine_with_batch_limits_refuses_or_answers_huge_inputs(batch_engine, text):
    try:
        page = timed(batch_engine.search, SearchRequest(q=text, per_page=5))
    except BadRequest as e:
        assert "too long" in e.message or "too many terms" in e.message
        return
    assert page.total >= 0 and len(page.hits) <= 5


@pytest.fixture(scope="module")
def wide_engine(tmp_path_factory):
    """An engine over 10 articles with a vocabulary of ~600 distinct random words."""
    import random
    import string

    from searchsvc.engine.indexer import index_corpus

    rng = random.Random(7)
    root = tmp_path_factory.mktemp("wide")
    (root / "c").mkdir()
    rows = []
    for i in range(10):
        words = [
            "".join(rng.choices(string.ascii_lowercase, k=rng.randint(4, 9))) for _ in range(60)
        ]
        rows.append(json.dumps({"id": f"w{i}", "title": words[0], "body": " ".join(words)}))
    (root / "c" / "w.jsonl").write_text("\n".join(rows) + "\n")
    index_corpus(root / "c", root / "i", procs=1)
    store = Store(root / "i")
    yield SearchEngine(store, Settings())
    store.close()


def test_a_short_query_of_unknown_words_is_cheap(wide_engine):
    import random
    import string

    rng = random.Random(3)
    q = " ".join("".join(rng.choices(string.ascii_lowercase, k=4)) for _ in range(50))
    t0 = time.monotonic()
    wide_engine.search(SearchRequest(q=q))
    took = time.monotonic() - t0
    assert took < 0.5, f"a {len(q)}-character query took {took:.1f} s"


def test_a_query_within_the_limits_is_never_refused_because_of_the_correction(web_index):
    q = " ".join(["refnery"] * 124)  # 991 characters: within the 1000-character limit
    r = client_for(web_index).get("/api/search", query_string={"q": q})
    assert r.status_code == 200, r.get_json()


# --- /api/search through the Flask app (fast, many examples) ---

_CLIENTS: dict = {}


def client_for(index_dir):
    """Return one Flask test client per index (hypothesis calls the tests many times)."""
    if index_dir not in _CLIENTS:
        _CLIENTS[index_dir] = create_app({"INDEX_DIR": index_dir}).test_client()
    return _CLIENTS[index_dir]


def check_api(resp) -> dict:
    """Assert a 200 search page or a 400 {"error": ...}; return the JSON."""
    assert resp.status_code in (200, 400), (resp.status_code, resp.get_data(as_text=True)[:300])
    assert resp.mimetype == "application/json"
    body = resp.get_json()
    if resp.status_code == 400:
        assert isinstance(body.get("error"), str) and body["error"]
    elif "suggestions" in body:
        assert isinstance(body["suggestions"], list)
    else:
        assert isinstance(body["hits"], list) and body["total"] >= 0
    return body


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(
    q=hostile_text,
    page=st.sampled_from(ABSURD_NUMBERS) | st.text(max_size=8),
    per_page=st.sampled_from(ABSURD_NUMBERS) | st.text(max_size=8),
    sort=st.sampled_from(["relevance", "newest", "oldest", "", "NaN"]) | st.text(max_size=5),
    extra=st.dictionaries(st.text(max_size=6), st.text(max_size=20), max_size=3),
)
def test_api_search_any_parameters_give_200_or_400(web_index, q, page, per_page, sort, extra):
    args = {**extra, "q": q, "page": page, "per_page": per_page, "sort": sort}
    t0 = time.monotonic()
    check_api(client_for(web_index).get("/api/search", query_string=args))
    check_api(client_for(web_index).get("/api/suggest", query_string={"q": q}))
    assert time.monotonic() - t0 < MAX_SECONDS


@pytest.mark.parametrize("value", ABSURD_NUMBERS)
@pytest.mark.parametrize("name", ["page", "per_page"])
def test_absurd_page_numbers_are_400_or_the_default(web_index, name, value):
    body = check_api(
        client_for(web_index).get("/api/search", query_string={"q": "oil", name: value})
    )
    if "error" in body:
        assert name in body["error"]


@pytest.mark.parametrize("query", REPEATED)
def test_repeated_parameters(web_index, query):
    check_api(client_for(web_index).get("/api/search?" + query))


@pytest.mark.parametrize("raw", ["%ff%fe", "%c0%af", "%ed%a0%80", "%00", "q=%", "%zz", "q=%u0041"])
def test_undecodable_query_strings(web_index, raw):
    for path in ("/api/search?q=", "/api/search?", "/api/suggest?q="):
        check_api(client_for(web_index).get(path + raw))


# --- the same attacks on the real gunicorn server (2 workers), with a time bound each ---


def real_get(base: str, path_qs: str) -> tuple[int, dict, dict]:
    """GET path_qs from the real server in at most MAX_SECONDS; return status, JSON, headers."""
    host, port = base.removeprefix("http://").split(":")
    conn = HTTPConnection(host, int(port), timeout=MAX_SECONDS)
    t0 = time.monotonic()
    try:
        conn.request("GET", path_qs)
        resp = conn.getresponse()
        data = resp.read()
        headers = {k.lower(): v for k, v in resp.getheaders()}
    finally:
        conn.close()
    assert time.monotonic() - t0 < MAX_SECONDS
    return resp.status, (json.loads(data) if data[:1] == b"{" else {"raw": data[:200]}), headers


@pytest.mark.slow
def test_real_server_survives_huge_nested_and_absurd_requests(live_server):
    sent = 0
    cases = [{"q": text} for text in HUGE_INPUTS[:10]]  # each under the URL line limit
    cases += [{"q": "oil", "page": v} for v in ABSURD_NUMBERS]
    cases += [{"q": "oil", "per_page": v} for v in ABSURD_NUMBERS]
    for args in cases:
        qs = urllib.parse.urlencode(args)
        if len(qs) > 8000:
            args = {"q": args["q"][:2000]}
            qs = urllib.parse.urlencode(args)
        status, body, _ = real_get(live_server, "/api/search?" + qs)
        sent += 1
        assert status in (200, 400), (status, body)
        assert status == 200 or body.get("error")
    for query in REPEATED:
        status, body, _ = real_get(live_server, "/api/search?" + query)
        sent += 1
        assert status in (200, 400), (status, body)
    # Over gunicorn's request-line limit: refused by the server itself, never a hang.
    status, _, _ = real_get(live_server, "/api/search?q=" + "x" * 100_000)
    assert status in (400, 414)
    status, body, _ = real_get(live_server, "/healthz")
    assert status == 200 and body["status"] == "ok"
    print(f"{sent + 2} hostile requests to the real server")

"""Paragraph structure in every text-like reader, and titles derived from a first sentence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from searchsvc.cli import main
from searchsvc.ingest import read_file
from searchsvc.ingest.fields import derive_title, normalize_text

REPO = Path(__file__).resolve().parents[3]

# A house-format article as the seed data writes it: one paragraph a line, single newlines,
# no blank line after the Published: line.
SEED_PARAGRAPHS = [
    "Ashbury's harbour master said on Monday that the outer breakwater, damaged in the January "
    "storms, would need to be rebuilt rather than repaired, a decision that could close the "
    "commercial quay to larger vessels for most of next year.",
    "Captain Rhian Pryce told a meeting of the harbour board that divers had found cracks running "
    "through the core of the structure, not just the facing stones.",
    '"We hoped we were looking at a patch-and-mend job," she said. "We are not."',
    "The breakwater, built in 1887, shelters the quay where about 40 cargo ships a month unload "
    "timber, grain and fertiliser.",
    "Engineers from the county council estimate that a full rebuild would cost between £18 "
    "million and £23 million and take at least 14 months.",
    "The board has asked the government for emergency funding from the coastal resilience "
    "programme, which has already paid for new sea walls at Port Ellery and Carrow.",
    "Shipping agents said some operators were already diverting cargo to Millford, 30 miles up "
    "the coast, which has a deeper channel but fewer storage sheds.",
    "Tom Achterberg, who runs a timber import business on the quay, said the uncertainty was "
    "worse than the closure itself.",
    '"If they tell us it shuts in May and opens again the following July, we can plan for '
    'that," he said. "What we cannot plan for is a rumour every week."',
    "About 220 people work directly at the harbour, and the council's own economic study found "
    "that another 600 jobs in the district depend on it.",
    "Fishing boats, which use the inner basin, would not be affected, the harbour master said.",
    "The January storms brought waves of more than eight metres against the breakwater on two "
    "consecutive nights, the highest recorded at Ashbury since gauges were installed in 1974.",
    "A section of the parapet collapsed on the second night, and the harbour was closed for "
    "four days while it was inspected.",
    "Councillor Maya Lindqvist, who chairs the council's economy committee, said the town could "
    "not afford to lose its only deep-water berth.",
    "She said the council would consider lending money to the harbour trust if the government "
    "bid failed, but warned that this would mean delaying other projects.",
    "Environmental groups have asked that any new breakwater include openings for fish and a "
    "survey of the seagrass beds inside the harbour before work begins.",
    "The harbour board will publish a full engineering report next month.",
    "A public meeting is planned for 3 March at the Seafarers' Hall.",
    "Residents can send questions in advance to the harbour trust's office on Quay Street.",
]
SEED = (
    "Published: 2 February 2026. Maritime Desk. The Harbour Gazette\n"
    + "\n".join(SEED_PARAGRAPHS)
    + "\n"
)


def test_house_article_keeps_all_19_paragraphs_in_extract_json(tmp_path):
    (tmp_path / "harbour.txt").write_text(SEED, "utf-8")
    out = CliRunner().invoke(main, ["extract", "--json", str(tmp_path / "harbour.txt")])
    assert out.exit_code == 0, out.output
    art = json.loads(out.output)
    assert art["body"].split("\n\n") == SEED_PARAGRAPHS
    assert len(art["body"].split("\n\n")) == 19
    assert (art["published"], art["author"], art["source"]) == (
        "2026-02-02",
        "Maritime Desk",
        "The Harbour Gazette",
    )
    # Headline-less: the title is the first sentence cut at a clause boundary; the body keeps it.
    assert art["title"] == ("Ashbury's harbour master said on Monday that the outer breakwater…")
    assert art["body"].startswith(SEED_PARAGRAPHS[0])


def test_headline_first_text_with_single_newlines(tmp_path):
    text = "Harbour wall to be rebuilt\n\n" + "\n".join(SEED_PARAGRAPHS[:5]) + "\n"
    (tmp_path / "a.txt").write_text(text, "utf-8")
    (art,) = read_file(tmp_path / "a.txt", tmp_path).articles
    assert art.title == "Harbour wall to be rebuilt"
    assert art.body.split("\n\n") == SEED_PARAGRAPHS[:5]


@pytest.mark.parametrize(
    ("text", "paragraphs"),
    [
        # Hard-wrapped paragraphs separated by blank lines: lines are joined.
        ("The council met on\nTuesday to vote on\nthe plan.\n\nIt passed.", 2),
        # One paragraph a line: a line longer than any wrap width...
        (SEED_PARAGRAPHS[0] + "\n" + SEED_PARAGRAPHS[1], 2),
        # ...or short lines that each end a sentence.
        ("It rained.\nThe river rose.\nThe town flooded.", 3),
        ("Short line\nthat wraps here.", 1),
        ("One.\r\n\r\n\r\nTwo.\n\n\n\n", 2),
    ],
)
def test_normalize_text_paragraphs(text, paragraphs):
    assert len(normalize_text(text).split("\n\n")) == paragraphs
    assert "\n\n\n" not in normalize_text(text)


def test_jsonl_and_sgml_keep_paragraphs(tmp_path):
    row = {"title": "T", "body": "First para.\nSecond para.\n\nThird para."}
    (tmp_path / "a.jsonl").write_text(json.dumps(row) + "\n", "utf-8")
    (art,) = read_file(tmp_path / "a.jsonl", tmp_path).articles
    assert art.body == "First para.\n\nSecond para.\n\nThird para."
    sgm = (
        '<REUTERS NEWID="1"><TEXT><TITLE>T</TITLE><BODY>Cocoa rose\nin Bahia.\n'
        "    Sugar fell.\n Reuter\n&#3;</BODY></TEXT></REUTERS>"
    )
    (tmp_path / "r.sgm").write_text(sgm, "utf-8")
    (art,) = read_file(tmp_path / "r.sgm", tmp_path).articles
    assert art.body == "Cocoa rose in Bahia.\n\nSugar fell."


@pytest.mark.parametrize(
    ("body", "title"),
    [
        ("Short one. Then more.", "Short one."),
        ("U.S. stocks rose on Monday. Then more.", "U.S. stocks rose on Monday."),
        # Cut at the last clause boundary within the limit, never mid-word.
        (
            "The Bank of Albion left interest rates unchanged at 3.5% on Thursday, resisting "
            "pressure from retailers and housebuilders who had hoped for a cut.",
            "The Bank of Albion left interest rates unchanged at 3.5% on Thursday…",
        ),
        # No clause boundary: a word boundary, without a dangling "on"/"the" at the end.
        (
            "More than three hundred homes in the low-lying villages around Ashbury were evacuated "
            "on the night the river burst its banks.",
            "More than three hundred homes in the low-lying villages around Ashbury were "
            "evacuated…",
        ),
        (
            "Residents of the riverside estate said they had been waiting for the promised barrier "
            "since the floods of the previous winter.",
            "Residents of the riverside estate said they had been waiting for the promised "
            "barrier…",
        ),
    ],
)
def test_derive_title(body, title):
    assert derive_title(body) == title
    assert len(derive_title(body)) <= 90


HOUSE = sorted(
    p for p in (REPO / "corpus").rglob("*.txt") if p.read_text("utf-8").startswith("Published:")
)
HEADLINE_FIRST = sorted(set((REPO / "corpus").rglob("*.txt")) - set(HOUSE))


@pytest.mark.parametrize("path", HOUSE + HEADLINE_FIRST, ids=lambda p: p.name)
def test_bundled_corpus_text_files_keep_every_paragraph(path):
    lines = [ln for ln in path.read_text("utf-8").splitlines() if ln.strip()]
    paragraphs = [" ".join(ln.split()) for ln in lines[1:]]  # after the header or headline
    (art,) = read_file(path, REPO / "corpus").articles
    assert art.body.split("\n\n") == paragraphs
    if path in HEADLINE_FIRST:
        assert art.title == lines[0].strip()
    else:
        assert art.body.startswith(art.title.rstrip("…"))


def test_bundled_corpus_has_both_text_layouts():
    assert (len(HOUSE), len(HEADLINE_FIRST)) == (15, 6)

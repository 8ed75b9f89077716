"""Corpus hygiene: .searchsvcignore, files that are not articles, symlinks out of the corpus."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from searchsvc.engine.indexer import index_corpus
from searchsvc.ingest import Skipped, discover, read_file

STORY = "Harbour wall to be rebuilt\n\nThe outer breakwater will be rebuilt, the board said.\n"
REPO = Path(__file__).resolve().parents[3]


def put(root: Path, rel: str, text: str = STORY) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    return path


def listed(root: Path, **kw) -> list[str]:
    return [p.relative_to(root).as_posix() for p in discover(root, **kw)]


def test_searchsvcignore_leaves_out_files_and_folders(tmp_path):
    for rel in ("a.txt", "b.bak.txt", "keep.bak.txt", "drafts/x.txt", "news/drafts/y.txt",
                "news/z.txt", "top.txt", "news/top.txt"):  # fmt: skip
        put(tmp_path, rel)
    (tmp_path / ".searchsvcignore").write_text(
        "# drafts are not published\ndrafts/\n*.bak.txt\n!keep.bak.txt\n/top.txt\n", "utf-8"
    )
    assert listed(tmp_path) == ["a.txt", "keep.bak.txt", "news/top.txt", "news/z.txt"]
    summary = index_corpus(tmp_path, tmp_path.parent / "index", rebuild=True, procs=1)
    assert (summary.documents, summary.skipped) == (4, [])


def test_without_an_ignore_file_everything_but_hidden_is_listed(tmp_path):
    for rel in ("b/2.txt", "a.txt", ".hidden.txt", ".git/x.txt", "b/.tmp/y.txt", "b/1.weird"):
        put(tmp_path, rel)
    assert listed(tmp_path) == ["a.txt", "b/1.weird", "b/2.txt"]


WORDS = "\n".join(["acq", "alum", "barley", "cocoa", "coffee", "copper", "corn", "cotton",
                   "gold", "grain", "iron-steel", "jobs"]) + "\n"  # fmt: skip
TABLE = "\n".join(f'Population("Country{i}", {1000 * i}, "{i}.{i}%").' for i in range(12))
NUMBERS = "\n".join(f"{i}\t{i * 3.5}\t{i * 7}" for i in range(12))
SHORT = "\n".join(f"Category {i} ({'X' * (i % 5 + 2)})" for i in range(20))
TABLE_REASON = "a data table (numbers or delimiter-separated columns), not an article"
DTD = "<!-- v1.1 -->\n<!ELEMENT LEWIS O O (REUTERS+)>\n<!ELEMENT DATE - - (#PCDATA)>\n"


@pytest.mark.parametrize(
    ("rel", "text", "reason"),
    [
        ("README.txt", STORY, "a data set's documentation file (README.txt), not an article"),
        ("LICENSE", STORY, "a data set's documentation file (LICENSE), not an article"),
        ("data/SOURCE.txt", STORY, "a data set's documentation file (SOURCE.txt), not an article"),
        ("lewis.dtd", DTD, "a DTD (document type definition), not an article"),
        ("lewis.txt", DTD, "a DTD (document type definition), not an article"),
        ("topics.lc.txt", WORDS, "a word list (one entry a line), not an article"),
        ("facts.txt", TABLE, TABLE_REASON),
        ("nums.txt", NUMBERS, TABLE_REASON),
        ("cats.txt", SHORT, "a list of short entries (no sentences), not an article"),
    ],
)  # fmt: skip
def test_files_that_are_not_articles_are_skipped_with_a_reason(tmp_path, rel, text, reason):
    result = read_file(put(tmp_path, rel, text), tmp_path)
    assert (result.articles, result.skipped) == ([], [Skipped(rel, reason)])


def test_articles_with_lists_and_short_lines_are_still_articles(tmp_path):
    seeds = "\n\n".join(f"{i} Player Number{i} (Country{i})" for i in range(1, 25))
    text = (
        "Henman to face a tough first round\n\n"
        + "The British number one will face a dangerous opponent in the first round of the "
        "Australian Open next week, after the draw was made in Melbourne on Friday morning. "
        * 6
        + "\n\nThe seeds are:\n\n"
        + seeds
    )
    (art,) = read_file(put(tmp_path, "sport.txt", text), tmp_path).articles
    assert art.title == "Henman to face a tough first round"
    short = "\n".join(["It rained.", "The wind rose.", "Hail fell at noon."] * 4)  # sentences
    assert read_file(put(tmp_path, "short.txt", short), tmp_path).articles
    cjk = "\n".join(["東京で大雨が降り、多くの電車が運転を見合わせました。"] * 12)
    assert read_file(put(tmp_path, "cjk.txt", cjk), tmp_path).articles


def test_symlink_out_of_the_corpus_is_skipped_unless_followed(tmp_path):
    corpus, outside = tmp_path / "corpus", tmp_path / "outside"
    put(corpus, "a.txt")
    put(outside, "story.txt", STORY.replace("Harbour", "Quay"))
    os.symlink("/etc/passwd", corpus / "passwd.txt")
    os.symlink(outside / "story.txt", corpus / "linked.txt")
    os.symlink(corpus / "a.txt", corpus / "inside.txt")  # a link within the corpus is fine
    os.symlink(outside, corpus / "ext")  # a folder out of the corpus
    assert listed(corpus) == ["a.txt", "inside.txt", "linked.txt", "passwd.txt"]
    reason = "symlink to a file outside the corpus"
    for name in ("passwd.txt", "linked.txt"):
        assert read_file(corpus / name, corpus).skipped == [Skipped(name, reason)]
    (art,) = read_file(corpus / "inside.txt", corpus).articles
    assert (art.id, art.path) == ("inside", "inside.txt")
    summary = index_corpus(corpus, tmp_path / "index", rebuild=True, procs=1)
    assert summary.documents == 2
    assert sorted(s["path"] for s in summary.skipped if s["reason"] == reason) == [
        "linked.txt",
        "passwd.txt",
    ]
    # Opt-in: links out of the corpus are read, and linked folders are entered.
    (art,) = read_file(corpus / "linked.txt", corpus, follow_external_links=True).articles
    assert art.title == "Quay wall to be rebuilt"
    assert listed(corpus, follow_external_links=True) == [
        "a.txt", "inside.txt", "linked.txt", "passwd.txt", "ext/story.txt",
    ]  # fmt: skip


def test_loops_and_fifos_are_never_listed_and_skipped_when_read(tmp_path):
    put(tmp_path, "a.txt")
    os.mkfifo(tmp_path / "pipe.txt")
    os.symlink(tmp_path / "loop-b.txt", tmp_path / "loop-a.txt")
    os.symlink(tmp_path / "loop-a.txt", tmp_path / "loop-b.txt")
    (tmp_path / "sub").mkdir()
    os.symlink(tmp_path, tmp_path / "sub" / "again")
    for follow in (False, True):
        assert listed(tmp_path, follow_external_links=follow) == ["a.txt"]
    assert read_file(tmp_path / "pipe.txt", tmp_path).skipped == [
        Skipped("pipe.txt", "not a regular file (a FIFO, device or socket)")
    ]
    (skip,) = read_file(tmp_path / "loop-a.txt", tmp_path).skipped
    assert skip.reason == "cannot read file (Too many levels of symbolic links)"


def test_every_bundled_corpus_file_is_an_article():
    corpus = REPO / "corpus"
    skipped = [s for p in discover(corpus) for s in read_file(p, corpus).skipped]
    assert skipped == []


@pytest.mark.data
def test_reuters_folder_as_distributed_gives_exactly_its_stories(data_dir):
    root = data_dir / "reuters21578"
    ids, skipped = set(), {}
    for path in discover(root):
        result = read_file(path, root)
        ids.update(a.id for a in result.articles)
        skipped.update((s.path, s.reason) for s in result.skipped)
    assert len(ids) == 21578
    words = "a word list (one entry a line), not an article"
    assert skipped == {
        "README.txt": "a data set's documentation file (README.txt), not an article",
        "SOURCE.txt": "a data set's documentation file (SOURCE.txt), not an article",
        "lewis.dtd": "a DTD (document type definition), not an article",
        "all-exchanges-strings.lc.txt": words,
        "all-orgs-strings.lc.txt": words,
        "all-people-strings.lc.txt": words,
        "all-places-strings.lc.txt": words,
        "all-topics-strings.lc.txt": words,
        "cat-descriptions_120396.txt": "a list of short entries (no sentences), not an article",
        "feldman-cia-worldfactbook-data.txt": TABLE_REASON,
    }

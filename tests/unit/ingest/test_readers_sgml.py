"""Reuters SGML reader on inline stories; the full data set is in test_readers_data.py."""

from __future__ import annotations

from datetime import date

from searchsvc.ingest import read_file

SGM = """<!DOCTYPE lewis SYSTEM "lewis.dtd">
<REUTERS TOPICS="YES" LEWISSPLIT="TRAIN" CGISPLIT="TRAINING-SET" OLDID="5544" NEWID="7">
<DATE>26-FEB-1987 15:01:01.79</DATE>
<TOPICS><D>cocoa</D></TOPICS>
<PLACES><D>el-salvador</D><D>usa</D></PLACES>
<PEOPLE></PEOPLE>
<UNKNOWN>
&#5;&#5;&#5;C T
&#22;&#22;&#1;f0704&#31;reute</UNKNOWN>
<TEXT>&#2;
<TITLE>STANDARD OIL &lt;SRD> TO FORM UNIT</TITLE>
<AUTHOR>    By Jane Doe, Reuters</AUTHOR>
<DATELINE>    CLEVELAND, Feb 26 - </DATELINE><BODY>Standard Oil Co and BP
said they plan a venture.
    BP owns &lt;BP> 55 pct &amp; more.

 Reuter
&#3;</BODY></TEXT>
</REUTERS>
<REUTERS TOPICS="NO" NEWID="8">
<DATE> 3-MAR-1987 09:11:06.42</DATE>
<TOPICS></TOPICS>
<PLACES></PLACES>
<TEXT TYPE="BRIEF">&#2;
******<TITLE>ASSETS OF MONEY FUNDS ROSE
</TITLE>Blah blah blah.
&#3;

</TEXT>
</REUTERS>
<REUTERS TOPICS="NO" NEWID="9">
<DATE>3-MAR-1987 09:12:00.00</DATE>
<TEXT TYPE="UNPROC">&#2;
FEDERAL RESERVE WEEKLY REPORT - FEB 26
    Two weeks ended Feb 25
&#3;
</TEXT>
</REUTERS>
"""


def test_sgml_stories(tmp_path):
    (tmp_path / "wire").mkdir()
    path = tmp_path / "wire" / "r.sgm"
    path.write_text(SGM, "utf-8")
    result = read_file(path, tmp_path)
    assert result.skipped == []
    full, brief, unproc = result.articles
    assert full.id == "wire--r-7"
    assert full.title == "STANDARD OIL <SRD> TO FORM UNIT"
    assert (
        full.body
        == "Standard Oil Co and BP said they plan a venture.\n\nBP owns <BP> 55 pct & more."
    )
    assert full.published == date(1987, 2, 26)
    assert (full.author, full.source) == ("Jane Doe", "Reuters")
    assert full.tags == ("wire", "cocoa", "el-salvador", "usa")
    assert (brief.id, brief.title, brief.body) == (
        "wire--r-8",
        "ASSETS OF MONEY FUNDS ROSE",
        "Blah blah blah.",
    )
    assert brief.published == date(1987, 3, 3)
    assert (unproc.title, unproc.body) == (
        "FEDERAL RESERVE WEEKLY REPORT - FEB 26",
        "Two weeks ended Feb 25",
    )


def test_sgml_latin1_and_empty(tmp_path):
    data = SGM.replace("Jane Doe", "J\xfcrgen M\xfcller").encode("latin-1")
    (tmp_path / "a.sgm").write_bytes(data)
    assert read_file(tmp_path / "a.sgm", tmp_path).articles[0].author == "Jürgen Müller"
    (tmp_path / "b.sgm").write_text("<!DOCTYPE lewis>\nnothing here\n", "utf-8")
    assert [s.reason for s in read_file(tmp_path / "b.sgm", tmp_path).skipped] == [
        "no <REUTERS> stories found"
    ]

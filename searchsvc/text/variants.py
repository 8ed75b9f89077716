"""British and American spellings of a word meet in one canonical form (a per-token filter).

"denuclearisation" and "denuclearization", "colour" and "color", "centre" and "center",
"travelled" and "traveled" must find each other, at index and at query time. The published
word lists (breame, localspelling, eng: one Wikipedia-derived list of about 1,700 pairs) hold no
productive derivations ("denuclearisation" is in none of them) and pair words whose meanings
differ (tyre/tire, disc/disk, tonne/ton, draught/draft), so this is a rule set:

- -ise/-isation/-ising... -> -ize... unless the -ise word is one in both spellings
  (advertise, exercise, promise, surprise, ...), has a root of under 3 letters (rise, prise) or
  a root ending in a vowel or w (noise, praise, cruise, otherwise);
- -lyze... -> -lyse... (analyse: the -yse form is also the plural "analyses");
- -our + suffix -> -or + suffix (colour, favourite, behavioural, neighbourhood) unless the -our
  word is one in both (our, hour, four, pour, tour, flour, detour, contour, devour, ...);
- -ogue... -> -og... with a root of 4+ letters (not vogue, rogue, brogue, pirogue);
- listed words only for -er/-re (center -> centre; "meter", the device, is left alone), a
  doubled l (travelled -> traveled; never "called" or "controlled"), -ence/-ense and a few more.

The canonical form is chosen per family so that Snowball stems it well; `spellings_of` gives
the surface spellings a canonical stem may come from (snippets look for those words).
"""

from __future__ import annotations

import re

from whoosh.analysis import Filter

_VOWELS = frozenset("aeiouy")


def _words(text: str) -> list[str]:
    """Return the words of a space-separated list."""
    return text.split()


# -ise words that are spelled so in both British and American English.
ISE_BOTH = frozenset(
    _words(
        "advertise advise apprise chastise chemise circumcise comprise compromise concise demise "
        "despise devise disenfranchise enfranchise enterprise excise exercise expertise franchise "
        "improvise incise merchandise mortise paradise precise premise promise reprise revise "
        "supervise surmise surprise televise treatise valise"
    )
)  # and their compounds: "unexercised", "uncompromising"
ISE_ENDS = tuple(ISE_BOTH)
ISE_SUFFIXES = ("isations", "isation", "ising", "isers", "iser", "ised", "ises", "ise")
LYZE_SUFFIXES = ("yzers", "yzer", "yzing", "yzed", "yzes", "yze")
OUR_SUFFIXES = (
    "", "s", "ed", "ing", "er", "ers", "y", "ful", "fully", "less", "able", "ably", "ite",
    "ites", "itism", "al", "ally", "hood", "hoods", "ist", "ists",
)  # fmt: skip
# -our words that are spelled so in both (and compounds of the 4+ letter ones: "downpour").
OUR_BOTH = frozenset(
    _words(
        "contour detour devour dour flour four hour our paramour pompadour pour scour sour "
        "tour troubadour velour your"
    )
)
_OUR_ENDS = tuple(w for w in OUR_BOTH if len(w) >= 4 and w != "dour")  # not odour, ardour
OGUE_SUFFIXES = {"ogues": "ogs", "ogued": "oged", "oguing": "oging", "ogue": "og"}
# American -er words whose British form ends in -re (listed: most -er words are no variants).
RE_WORDS = _words(
    "caliber center centiliter centimeter deciliter decimeter epicenter fiber goiter kiloliter "
    "kilometer liter louver luster meager milliliter millimeter miter nanometer ocher saber "
    "scepter sepulcher somber specter theater titer"
)
# Words whose British form doubles the l before -ed, -ing, -er (the stress is not on the l).
L_BASES = _words(
    "bevel cancel channel chisel counsel cudgel dial dishevel duel enamel equal fuel funnel "
    "gambol grovel initial jewel kennel label level libel marshal marvel model panel pedal pencil "
    "pommel quarrel ravel refuel remodel revel rival shovel shrivel signal snorkel spiral stencil "
    "swivel tassel total towel travel tunnel unravel yodel"
)
IRREGULAR = {
    "acknowledgement": "acknowledgment",
    "acknowledgements": "acknowledgments",
    "ageing": "aging",
    "aluminium": "aluminum",
    "councillor": "councilor",
    "councillors": "councilors",
    "counsellor": "counselor",
    "counsellors": "counselors",
    "defence": "defense",
    "defences": "defenses",
    "defenceless": "defenseless",
    "grey": "gray",
    "greyer": "grayer",
    "greyish": "grayish",
    "jewellery": "jewelry",
    "judgement": "judgment",
    "judgements": "judgments",
    "licence": "license",
    "licences": "licenses",
    "marvellous": "marvelous",
    "marvellously": "marvelously",
    "mould": "mold",
    "moulds": "molds",
    "mouldy": "moldy",
    "moustache": "mustache",
    "offence": "offense",
    "offences": "offenses",
    "plough": "plow",
    "ploughs": "plows",
    "ploughed": "plowed",
    "ploughing": "plowing",
    "practise": "practice",
    "practised": "practiced",
    "practises": "practices",
    "practising": "practicing",
    "pretence": "pretense",
    "programme": "program",
    "programmes": "programs",
    "pyjamas": "pajamas",
    "sceptic": "skeptic",
    "sceptics": "skeptics",
    "sceptical": "skeptical",
    "scepticism": "skepticism",
    "skilful": "skillful",
    "skilfully": "skillfully",
    "wilful": "willful",
    "wilfully": "willfully",
    "woollen": "woolen",
}


def _listed() -> dict[str, str]:
    """Return every listed spelling -> its canonical form (the rules' lists and IRREGULAR)."""
    out = dict(IRREGULAR)
    for us in RE_WORDS:
        uk = us[:-2] + "re"
        out[us], out[us + "s"] = uk, uk + "s"
    out.update({"centered": "centred", "centering": "centring"})
    for base in L_BASES:
        for suffix in ("ed", "ing", "er", "ers"):
            out[base + "l" + suffix] = base + suffix
    return out


LISTED = _listed()
_OUR = re.compile(r"^(\w{2,}?)our(" + "|".join(s for s in OUR_SUFFIXES if s) + r")?$")


def canonical(word: str) -> str:
    """Return the canonical spelling of a lower-case word (the word itself when it has none)."""
    found = LISTED.get(word)
    if found is not None:
        return found
    if len(word) < 5 or not word.isalpha():
        return word
    if "is" in word:
        for suffix in ISE_SUFFIXES:
            if word.endswith(suffix):
                root = word[: -len(suffix)]
                ok = len(root) >= 3 and root[-1] not in _VOWELS and root[-1] != "w"
                if ok and not (root + "ise").endswith(ISE_ENDS):
                    return root + "iz" + suffix[2:]
                return word
    if "lyz" in word:
        for suffix in LYZE_SUFFIXES:
            if word.endswith(suffix) and word[: -len(suffix)].endswith("l"):
                return word[: -len(suffix)] + "ys" + suffix[2:]
    if "our" in word:
        m = _OUR.match(word)
        base = m.group(1) + "our" if m else ""
        if m and base not in OUR_BOTH and not base.endswith(_OUR_ENDS):
            return m.group(1) + "or" + (m.group(2) or "")
    if "ogu" in word:
        for suffix, us in OGUE_SUFFIXES.items():
            if word.endswith(suffix) and len(word) - len(suffix) >= 4:
                return word[: -len(suffix)] + us
    return word


class SpellingVariantFilter(Filter):
    """Replace each token's text by its canonical British/American spelling (`canonical`)."""

    def __call__(self, tokens):
        for t in tokens:
            t.text = canonical(t.text)
            yield t


def spellings_of(stem: str, stem_many) -> set[str]:
    """Return the stem and the stems of the other spellings that normalise to it.

    Rules are reversed on the stem's text ("iz" -> "is", "or" -> "our", "ys" -> "yz"), listed
    words through their canonical forms; `stem_many` stems a list of words (analysis.py's).
    """
    out = {stem}
    for canon, surface in (("iz", "is"), ("or", "our"), ("ys", "yz")):
        start = stem.find(canon)
        while start >= 0:
            out.add(stem[:start] + surface + stem[start + len(canon) :])
            start = stem.find(canon, start + 1)
    out.update(_listed_surfaces(stem_many).get(stem, ()))
    return out


_SURFACES: dict[str, set[str]] = {}


def _listed_surfaces(stem_many) -> dict[str, set[str]]:
    """Return {stem of a listed canonical form: the listed spellings' own stems} (built once)."""
    if not _SURFACES:
        words = list(LISTED)
        canon = stem_many([LISTED[w] for w in words])
        for w, s, c in zip(words, stem_many(words), canon, strict=True):
            _SURFACES.setdefault(c, set()).add(s)
            _SURFACES[c].add(w)
    return _SURFACES

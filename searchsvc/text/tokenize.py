"""A fused analyzer: a RegexTokenizer | per-token filters chain run as one loop with a term cache.

Whoosh runs an analyzer chain as one Python generator per filter, per token. `fuse(chain)` keeps
the chain's own tokenizer pattern and filters (so the stop list and stemmer chosen in
analysis.py stay in force) but runs the filters once per *distinct* raw token text, caches the
outcome (dropped, stopped, final text with and without morphology) and replays it in a single
loop, renumbering positions exactly as StopFilter does. The result is token-for-token identical
to the chain (text, pos, startchar, endchar, stopped) in index and query mode.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from whoosh.analysis import (
    CharsetFilter,
    Filter,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
    Token,
)
from whoosh.analysis.analyzers import CompositeAnalyzer
from whoosh.analysis.tokenizers import Tokenizer

# Filters that look at one token at a time and keep no state between tokens.
PER_TOKEN_FILTERS: tuple[type, ...] = (LowercaseFilter, CharsetFilter, StopFilter, StemFilter)
CACHE_SIZE = 200_000


class FusedAnalyzer(Tokenizer):
    """The chain `tokenizer | filters...` in one loop; build it with `fuse(chain)`."""

    def __init__(self, tokenizer: RegexTokenizer, filters: Iterable[Filter]) -> None:
        self.tokenizer = tokenizer
        self.filters = tuple(filters)
        stops = [f for f in self.filters if isinstance(f, StopFilter)]
        self.renumber = bool(stops) and stops[0].renumber
        self._cache: dict[str, tuple] = {}

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "_cache"}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._cache = {}

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, FusedAnalyzer)
            and self.tokenizer == other.tokenizer
            and self.filters == other.filters
        )

    __hash__ = None  # type: ignore[assignment]

    def has_morph(self) -> bool:
        """Return True when the chain stems (Whoosh asks before spelling/wildcard analysis)."""
        return any(getattr(f, "is_morph", False) for f in self.filters)

    def _run(self, raw: str, morph: bool) -> Token | None:
        """Run the chain's filters on one token; None when a filter dropped it."""
        out: Iterable[Token] = [Token(text=raw, boost=1.0, stopped=False, removestops=False)]
        for f in self.filters:
            if morph or not getattr(f, "is_morph", False):
                out = f(out)
        return next(iter(out), None)

    def outcome(self, raw: str) -> tuple:
        """Return (kept, stopped, text, text without morphology) for one raw token text."""
        entry = self._cache.get(raw)
        if entry is None:
            full = self._run(raw, True)
            if full is None:
                entry = (False, False, "", "")
            else:
                plain = self._run(raw, False)
                entry = (True, full.stopped, full.text, plain.text if plain else full.text)
            if len(self._cache) >= CACHE_SIZE:
                self._cache.clear()
            self._cache[raw] = entry
        return entry

    def index_texts(self, raws: list[str]) -> list[str | None]:
        """Return the indexed text of each raw token (None: dropped or a stop word), in bulk.

        Each filter runs once over all the tokens: Whoosh's lowercase, charset, stop and stem
        filters as list operations with their exact rules, any other per-token filter over Token
        objects, checking that it yields the tokens it was given (else: one token at a time).
        """
        texts: list[str | None] = list(raws)  # None: dropped by a filter
        stopped = [False] * len(texts)
        for f in self.filters:
            kind = type(f)
            if kind is LowercaseFilter:
                texts = [t if t is None else t.lower() for t in texts]
            elif kind is CharsetFilter:
                cmap = f.charmap
                texts = [t if t is None else t.translate(cmap) for t in texts]
            elif kind is StopFilter:
                stops, lo, hi = f.stops, f.min, f.max
                stopped = [
                    t is not None
                    and not (len(t) >= lo and (hi is None or len(t) <= hi) and t not in stops)
                    for t in texts
                ]
            elif kind is StemFilter and not f.lang:
                fn, ignore = f.stemfn, f.ignore
                todo = [
                    i
                    for i, (t, s) in enumerate(zip(texts, stopped, strict=True))
                    if t is not None and not s and t not in ignore
                ]
                words = [texts[i] for i in todo]
                many = getattr(fn, "many", None)  # a list -> list form of the stemmer
                stems = many(words) if many else list(map(fn, words))
                for i, w in zip(todo, stems, strict=True):
                    texts[i] = w
            else:
                live = [i for i, t in enumerate(texts) if t is not None]
                tokens = [
                    Token(text=texts[i], boost=1.0, stopped=stopped[i], removestops=False)
                    for i in live
                ]
                ids = {id(t) for t in tokens}
                kept = {id(t) for t in f(iter(tokens))}
                if not kept <= ids:  # not a per-token filter after all
                    return [e[2] if e[0] and not e[1] else None for e in map(self.outcome, raws)]
                for i, t in zip(live, tokens, strict=True):
                    texts[i] = t.text if id(t) in kept else None
                    stopped[i] = t.stopped
        return [None if s else t for t, s in zip(texts, stopped, strict=True)]

    def positions(self, value: str) -> dict[str, list[int]]:
        """Return {term: [positions]} as indexing sees value (stops removed): the bulk path."""
        cache, outcome, renumber = self._cache, self.outcome, self.renumber
        out: dict[str, list[int]] = {}
        pos = None
        for i, raw in enumerate(self.tokenizer.expression.findall(value)):
            entry = cache.get(raw) or outcome(raw)
            if not entry[0] or entry[1]:
                continue
            pos = i if not renumber or pos is None else pos + 1
            text = entry[2]
            if text in out:
                out[text].append(pos)
            else:
                out[text] = [pos]
        return out

    def counts(self, value: str) -> dict[str, int]:
        """Return {term: frequency} as indexing sees value (stops removed): the bulk path."""
        cache, outcome, out = self._cache, self.outcome, {}
        for raw in self.tokenizer.expression.findall(value):
            entry = cache.get(raw) or outcome(raw)
            if entry[0] and not entry[1]:
                text = entry[2]
                out[text] = out.get(text, 0) + 1
        return out

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        no_morph: bool = False,
        **kwargs,
    ) -> Iterator[Token]:
        """Yield the tokens the chain would yield for value, with the same keyword arguments."""
        assert isinstance(value, str), f"{value!r} is not unicode"
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        textpos = 3 if no_morph else 2
        if tokenize:
            matches: Iterable = self.tokenizer.expression.finditer(value)
        else:
            matches = [_Whole(value)]
            t.original = value
        cache, outcome, renumber = self._cache, self.outcome, self.renumber and positions
        pos = None
        for i, m in enumerate(matches):
            raw = m.group(0)
            entry = cache.get(raw) or outcome(raw)
            if not entry[0] or (entry[1] and removestops):
                continue
            t.boost = 1.0
            if keeporiginal:
                t.original = raw
            if chars:
                t.startchar = start_char + m.start()
                t.endchar = start_char + m.end()
            if entry[1]:  # a stop word kept for the caller: original position, not stemmed
                t.text, t.stopped = entry[2], True
                if positions:
                    t.pos = start_pos + i
                yield t
                continue
            t.text, t.stopped = entry[textpos], False
            if positions:
                if not renumber or pos is None:
                    pos = start_pos + i
                else:
                    pos += 1
                t.pos = pos
            yield t


class _Whole:
    """A stand-in match for tokenize=False: the whole value is one token."""

    def __init__(self, value: str) -> None:
        self.value = value

    def group(self, _: int) -> str:
        return self.value

    def start(self) -> int:
        return 0

    def end(self) -> int:
        return len(self.value)


def fuse(chain, per_token: tuple[type, ...] = ()) -> FusedAnalyzer:
    """Return a FusedAnalyzer equivalent to `RegexTokenizer | filters...` (raise if it is not).

    `per_token` names extra filter classes that look at one token at a time without state.
    """
    if isinstance(chain, FusedAnalyzer):
        return chain
    items = list(chain.items) if isinstance(chain, CompositeAnalyzer) else [chain]
    tokenizer, filters = items[0], items[1:]
    if type(tokenizer) is not RegexTokenizer or tokenizer.gaps:
        raise TypeError(f"cannot fuse tokenizer {tokenizer!r}")
    allowed = PER_TOKEN_FILTERS + tuple(per_token)
    for f in filters:
        if not isinstance(f, allowed):
            raise TypeError(f"cannot fuse {type(f).__name__}: not a known per-token filter")
    return FusedAnalyzer(tokenizer, filters)

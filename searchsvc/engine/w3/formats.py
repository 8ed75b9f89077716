"""Posting formats fed by the fused analyzer without Token objects (same bytes as Whoosh's)."""

from __future__ import annotations

from whoosh.formats import Frequency, Positions
from whoosh.system import pack_uint

from searchsvc.text.tokenize import FusedAnalyzer


class FastPositions(Positions):
    """Whoosh's Positions format, fed by FusedAnalyzer.positions() without Token objects."""

    def word_values(self, value, analyzer, **kwargs):
        """Yield (term, freq, weight, encoded positions) like Positions.word_values."""
        if not isinstance(analyzer, FusedAnalyzer) or set(kwargs) - {"mode"}:
            yield from super().word_values(value, analyzer, **kwargs)
            return
        fb = self.field_boost
        for w, poslist in analyzer.positions(value).items():
            yield (w, len(poslist), len(poslist) * fb, self.encode(poslist))


class FastFrequency(Frequency):
    """Whoosh's Frequency format, fed by FusedAnalyzer.counts() without Token objects."""

    def word_values(self, value, analyzer, **kwargs):
        """Yield (term, freq, weight, encoded freq) like Frequency.word_values."""
        if not isinstance(analyzer, FusedAnalyzer) or set(kwargs) - {"mode"}:
            return super().word_values(value, analyzer, **kwargs)
        fb = self.field_boost
        return ((w, n, n * fb, pack_uint(n)) for w, n in analyzer.counts(value).items())

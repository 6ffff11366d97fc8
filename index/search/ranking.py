"""Hybrid ranking: topic words, term coverage, and the fusion of dense and lexical scores."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from index.folding import fold_letters

# Function words and the words people wrap a question in; they carry no topic.
_STOPWORDS = frozenset(
    """
    a about above after again against all am an and any are as at be been before being below
    between both but by can could did do does doing down during each few for from further had
    has have having he her here hers him his how i if in into is it its itself just me more
    most my no nor not now of off on once only or other our out over own same she should so
    some such than that the their them then there these they this those through to too under
    until up very was we were what when where which while who whom why will with would you
    your yours
    happened happening happen going news latest update updates tell show give know report
    reports reported anything something new recent recently today yesterday please
    near around close nearby
    что где как когда это в на с по и о об от до за из у к про был была были новости
    случилось произошло происходит возле около рядом вблизи под
    що де як коли це в на з по і й о про від до за із у біля новини
    сталося відбулося відбувається поблизу поруч коло під
    """.split()
)
_WORD = re.compile(r"\w+", re.UNICODE)
_SUFFIXES = ("ies", "sses", "shes", "ches", "xes", "s", "ed", "ing", "ly")


@functools.lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    """A light English stemmer: plural, past and -ing forms meet their base word."""
    for suffix in _SUFFIXES:
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            word = word[: -len(suffix)] + ("y" if suffix == "ies" else "")
            break
    # "drones" -> "drone" and "drone" both end as "dron"; "damaged" and "damage" as "damag"
    return word[:-1] if len(word) > 4 and word.endswith("e") else word


def query_terms(question: str) -> list[str]:
    """The question's topic words, folded and de-duplicated, in order."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(fold_letters(question)):
        if word in _STOPWORDS or (len(word) < 2 and not word.isdigit()):
            continue
        seen.setdefault(word, None)
    return list(seen)


def coverage(terms: Sequence[str], text: str) -> float:
    """Share of ``terms`` that occur in ``text`` (after folding and light stemming)."""
    if not terms:
        return 0.0
    words = {_stem(w) for w in set(_WORD.findall(fold_letters(text)))}
    return sum(_stem(t) in words for t in terms) / len(terms)


@dataclass(frozen=True, slots=True)
class Scored:
    """A candidate passage after fusion."""

    id: int
    score: float  # ranking: (1 - w) * cosine + w * BM25 relative to this question's best
    relevance: float  # the gate, calibrated: (1 - w) * cosine + w * term coverage
    similarity: float
    coverage: float


def fuse(
    similarity: Mapping[int, float],
    bm25: Mapping[int, float],
    term_coverage: Mapping[int, float],
    lexical_weight: float,
) -> list[Scored]:
    """Convex combination of dense and lexical evidence, best first.

    BM25 is scaled by the question's best BM25, which ranks well but says nothing absolute;
    the relevance gate therefore uses term coverage, which does.
    """
    w = lexical_weight
    top = max(bm25.values(), default=0.0)
    out = []
    for pid, sim in similarity.items():
        lex = bm25.get(pid, 0.0) / top if top > 0 else 0.0
        cov = term_coverage.get(pid, 0.0)
        out.append(Scored(pid, (1 - w) * sim + w * lex, (1 - w) * sim + w * cov, sim, cov))
    out.sort(key=lambda s: (-s.score, -s.relevance, s.id))
    return out

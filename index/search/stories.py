"""The "same story" rule: copies of one wire text across outlets, for /ask and for digests.

Two passages from different articles tell the same story when their word 4-grams overlap
(Jaccard at least :data:`JACCARD`) or their vectors are nearly identical (cosine at least
:data:`COSINE`). :func:`fold_duplicates` applies it to one ranked answer; :func:`stories`
to a whole batch of new passages at once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np

from index.folding import fold_letters
from index.models import Citation

JACCARD = 0.5  # shared word 4-grams over all of them
COSINE = 0.97  # unit vectors this close say the same thing in other words
SHINGLE_WORDS = 4
_BLOCK = 1024  # passages per block of the batch copy search: 1024 x N floats at a time
_WORD = re.compile(r"\w+", re.UNICODE)


def shingles(text: str, size: int = SHINGLE_WORDS) -> frozenset[str]:
    """Word n-grams of the folded text, for near-duplicate detection."""
    words = _WORD.findall(fold_letters(text))
    if len(words) < size:
        return frozenset([" ".join(words)])
    return frozenset(" ".join(words[i : i + size]) for i in range(len(words) - size + 1))


def same_words(shared: int, a: int, b: int) -> bool:
    """The word test of the rule: ``shared`` of two passages' ``a`` and ``b`` 4-grams are
    common, and their Jaccard index reaches :data:`JACCARD` (counts, so a batch can pass the
    counts its inverted index gives)."""
    union = a + b - shared
    return union > 0 and shared / union >= JACCARD


def is_near_duplicate(
    a: frozenset[str], b: frozenset[str], a_vec: np.ndarray | None, b_vec: np.ndarray | None
) -> bool:
    """Same wire text from two outlets: shared word 4-grams, or nearly identical vectors."""
    if same_words(len(a & b), len(a), len(b)):
        return True
    return a_vec is not None and b_vec is not None and float(a_vec @ b_vec) >= COSINE


def fold_duplicates(
    ordered: Sequence[int],
    texts: Mapping[int, str],
    vectors: Mapping[int, np.ndarray],
    article_of: Mapping[int, int],
    limit: int,
) -> list[tuple[int, list[int]]]:
    """Group ``ordered`` ids into (kept id, folded duplicate ids), best first, up to ``limit``.

    Passages of the same article never fold into each other. Only the first ``4 * limit``
    candidates are examined: a duplicate of a shown passage ranks close to it.
    """
    groups: list[tuple[int, list[int]]] = []
    grams: dict[int, frozenset[str]] = {}

    def gram(pid: int) -> frozenset[str]:
        if pid not in grams:
            grams[pid] = shingles(texts[pid])
        return grams[pid]

    for pid in ordered[: 4 * limit]:
        for head, dups in groups:
            if (
                article_of[head] != article_of[pid]
                and all(article_of[d] != article_of[pid] for d in dups)
                and is_near_duplicate(gram(head), gram(pid), vectors.get(head), vectors.get(pid))
            ):
                dups.append(pid)
                break
        else:
            if len(groups) == limit:
                continue  # keep scanning: a later passage may still fold into a kept one
            groups.append((pid, []))
    return groups


def stories(passages: Mapping[int, Citation], vectors: Mapping[int, np.ndarray]) -> dict[int, int]:
    """passage id -> the id of the first passage of its story: copies of one wire text from
    different articles (the rule of :func:`is_near_duplicate`) share a story.

    Computed once per batch for all its passages; candidates come from an inverted index of
    4-grams and one blockwise matrix product of the vectors, not from comparing every pair.
    """
    ids = sorted(passages)
    grams = {pid: shingles(passages[pid].passage.text) for pid in ids}
    by_gram: dict[str, list[int]] = {}
    story: dict[int, int] = {}
    near: dict[int, set[int]] = {}
    with_vec = [pid for pid in ids if pid in vectors]
    if len(with_vec) > 1:
        matrix = np.stack([vectors[pid] for pid in with_vec])
        # In blocks of rows: a backlog of many thousand passages never needs an N x N matrix.
        for start in range(0, len(with_vec), _BLOCK):
            block = matrix[start : start + _BLOCK] @ matrix.T
            rows, cols = np.nonzero(block >= COSINE)
            for r, c in zip((rows + start).tolist(), cols.tolist(), strict=True):
                if r < c:  # r is the earlier passage
                    near.setdefault(with_vec[c], set()).add(with_vec[r])
    for pid in ids:
        article = passages[pid].article.id
        shared: dict[int, int] = {}
        for g in grams[pid]:
            for head in by_gram.get(g, ()):
                shared[head] = shared.get(head, 0) + 1
        found = None
        for head in sorted(set(shared) | {story[p] for p in near.get(pid, ()) if p in story}):
            if passages[head].article.id == article:
                continue
            similar = same_words(shared.get(head, 0), len(grams[pid]), len(grams[head]))
            if similar or any(story.get(p) == head for p in near.get(pid, ())):
                found = head
                break
        if found is None:
            story[pid] = pid
            for g in grams[pid]:
                by_gram.setdefault(g, []).append(pid)
        else:
            story[pid] = found
    return story

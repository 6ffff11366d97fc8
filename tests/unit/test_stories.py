"""The "same story" rule: one answer's copies folded, and a batch of passages grouped by story."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from index.models import Citation, Passage, StoredArticle
from index.search.stories import fold_duplicates, is_near_duplicate, shingles, stories

# -- one ranked answer ------------------------------------------------------------------

WIRE = (
    "Russian forces shelled the town of Siversk overnight, damaging several houses and a "
    "school, the regional governor said on Tuesday. Two civilians were wounded and taken to "
    "hospital in Kramatorsk, he added."
)
OTHER = (
    "Grain exports from Odesa rose in October as ships kept using the corridor along the "
    "western coast of the Black Sea, port officials said."
)
THIRD = "Power was restored to most of Kharkiv by the morning after overnight drone strikes."


def test_same_wire_text_from_two_articles_folds_into_one_group() -> None:
    texts = {1: "KYIV (Reuters) - " + WIRE, 2: OTHER, 3: WIRE + " Reporting by staff."}
    groups = fold_duplicates([1, 2, 3], texts, {}, article_of={1: 10, 2: 20, 3: 30}, limit=5)
    assert groups == [(1, [3]), (2, [])]


def test_nearly_identical_vectors_fold_even_when_words_differ() -> None:
    v = np.array([1.0, 0.0], dtype=np.float32)
    texts = {1: WIRE, 2: OTHER}
    groups = fold_duplicates([1, 2], texts, {1: v, 2: v}, article_of={1: 10, 2: 20}, limit=5)
    assert groups == [(1, [2])]


def test_two_passages_of_the_same_article_never_fold() -> None:
    texts = {1: WIRE, 2: WIRE}
    groups = fold_duplicates([1, 2], texts, {}, article_of={1: 10, 2: 10}, limit=5)
    assert groups == [(1, []), (2, [])]


def test_a_group_never_holds_two_passages_of_one_article() -> None:
    # 2 and 3 both repeat the wire story and come from the same article: only one folds into 1.
    texts = {1: WIRE, 2: WIRE, 3: WIRE}
    groups = fold_duplicates([1, 2, 3], texts, {}, article_of={1: 10, 2: 20, 3: 20}, limit=5)
    assert groups == [(1, [2]), (3, [])]


def test_fold_duplicates_respects_the_limit_and_keeps_best_first() -> None:
    texts = {1: WIRE, 2: OTHER, 3: THIRD}
    groups = fold_duplicates([3, 1, 2], texts, {}, article_of={1: 1, 2: 2, 3: 3}, limit=2)
    assert groups == [(3, []), (1, [])]


def test_a_duplicate_ranked_after_the_limit_still_folds_into_a_kept_group() -> None:
    texts = {1: WIRE, 2: OTHER, 3: THIRD, 4: "(AP) " + WIRE}
    groups = fold_duplicates([1, 2, 3, 4], texts, {}, article_of={1: 1, 2: 2, 3: 3, 4: 4}, limit=2)
    assert groups == [(1, [4]), (2, [])]


# -- a batch of passages -----------------------------------------------------------------


def cited(pid: int, text: str, article: int) -> Citation:
    when = datetime(2026, 11, 20, tzinfo=UTC)
    return Citation(
        StoredArticle(article, None, None, when, "Wire", when), Passage(pid, article, 0, 0, text)
    )


def test_stories_fold_wire_copies_by_words_or_vectors_never_within_one_article() -> None:
    wire = "The regional governor said the bridge near Soledar was closed for repairs today."
    passages = {
        1: cited(1, wire, article=1),
        2: cited(2, wire.replace("today", "on Monday"), article=2),
        3: cited(3, wire, article=1),  # same article as 1: not a copy
        4: cited(4, "Soledar: a different report entirely, about a school.", article=4),
        5: cited(5, "Soledar: reworded, but the same story as four.", article=5),
    }
    vectors = {pid: np.eye(8, dtype=np.float32)[pid] for pid in passages}
    vectors[5] = vectors[4]  # nearly identical meaning
    assert stories(passages, vectors) == {1: 1, 2: 1, 3: 3, 4: 4, 5: 4}


def test_the_batch_and_the_answer_agree_on_what_one_story_is() -> None:
    texts = {1: WIRE, 2: OTHER, 3: "(AP) " + WIRE, 4: THIRD, 5: WIRE + " Reporting by staff."}
    passages = {pid: cited(pid, text, article=pid) for pid, text in texts.items()}
    story = stories(passages, {})
    groups = fold_duplicates(sorted(texts), texts, {}, {pid: pid for pid in texts}, limit=5)
    assert {head: sorted([head, *dups]) for head, dups in groups} == {
        head: sorted(pid for pid in texts if story[pid] == head) for head in set(story.values())
    }
    assert story == {1: 1, 2: 2, 3: 1, 4: 4, 5: 1}


def test_the_thresholds_decide_a_pair() -> None:
    a, b = shingles(WIRE), shingles(OTHER)
    assert is_near_duplicate(a, shingles("(AP) " + WIRE), None, None)
    assert not is_near_duplicate(a, b, None, None)
    close = np.array([1.0, 0.0], dtype=np.float32)
    assert is_near_duplicate(a, b, close, np.array([0.98, 0.199], dtype=np.float32))
    assert not is_near_duplicate(a, b, close, np.array([0.96, 0.28], dtype=np.float32))

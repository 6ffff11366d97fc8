"""Hybrid ranking: score fusion, relevance, query terms, coverage and duplicate folding."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

from index.search.ranking import coverage, fold_duplicates, fuse, query_terms

# -- fusion ------------------------------------------------------------------------------


def test_fuse_scores_are_a_convex_mix_of_cosine_and_bm25_relative_to_the_best() -> None:
    scored = fuse(
        similarity={1: 0.5, 2: 0.7, 3: 0.2},
        bm25={1: 8.0, 3: 4.0},
        term_coverage={},
        lexical_weight=0.4,
    )
    by_id = {s.id: s for s in scored}
    assert by_id[1].score == pytest.approx(0.6 * 0.5 + 0.4 * 1.0)
    assert by_id[2].score == pytest.approx(0.6 * 0.7)
    assert by_id[3].score == pytest.approx(0.6 * 0.2 + 0.4 * 0.5)


def test_fuse_orders_best_first_and_the_lexical_weight_decides_between_signals() -> None:
    similarity = {1: 0.9, 2: 0.6}
    bm25 = {2: 12.0, 1: 1.0}
    dense_heavy = fuse(similarity, bm25, {}, lexical_weight=0.1)
    lexical_heavy = fuse(similarity, bm25, {}, lexical_weight=0.8)
    assert [s.id for s in dense_heavy] == [1, 2]
    assert [s.id for s in lexical_heavy] == [2, 1]
    for scored in (dense_heavy, lexical_heavy):
        assert all(a.score >= b.score for a, b in pairwise(scored))


def test_fuse_passage_best_in_both_signals_scores_one() -> None:
    scored = fuse({1: 1.0, 2: 0.3}, {1: 5.5, 2: 2.0}, {}, lexical_weight=0.3)
    assert scored[0].id == 1
    assert scored[0].score == pytest.approx(1.0)


def test_fuse_bm25_scale_does_not_change_scores() -> None:
    similarity = {1: 0.4, 2: 0.5, 3: 0.45}
    small = fuse(similarity, {1: 2.0, 2: 1.0}, {}, lexical_weight=0.3)
    large = fuse(similarity, {1: 200.0, 2: 100.0}, {}, lexical_weight=0.3)
    assert [(s.id, pytest.approx(s.score)) for s in small] == [(s.id, s.score) for s in large]


def test_fuse_without_lexical_matches_ranks_by_cosine() -> None:
    scored = fuse({1: 0.2, 2: 0.8, 3: 0.5}, {}, {}, lexical_weight=0.3)
    assert [s.id for s in scored] == [2, 3, 1]
    assert scored[0].score == pytest.approx(0.7 * 0.8)


def test_fuse_relevance_mixes_similarity_and_coverage_by_the_lexical_weight() -> None:
    scored = fuse(
        similarity={1: 0.6, 2: 0.2},
        bm25={1: 3.0, 2: 9.0},
        term_coverage={1: 0.5, 2: 1.0},
        lexical_weight=0.25,
    )
    by_id = {s.id: s for s in scored}
    # Relevance ignores BM25, which is only relative to this question's best.
    assert by_id[1].relevance == pytest.approx(0.75 * 0.6 + 0.25 * 0.5)
    assert by_id[2].relevance == pytest.approx(0.75 * 0.2 + 0.25 * 1.0)
    assert (by_id[1].similarity, by_id[1].coverage) == (0.6, 0.5)
    assert (by_id[2].similarity, by_id[2].coverage) == (0.2, 1.0)


def test_fuse_breaks_score_ties_by_relevance() -> None:
    scored = fuse({1: 0.5, 2: 0.5}, {}, {1: 0.0, 2: 1.0}, lexical_weight=0.3)
    assert [s.id for s in scored] == [2, 1]


# -- query terms and coverage --------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "terms"),
    [
        ("what happened near Siversk?", ["siversk"]),
        ("What's the latest news around Síversk?", ["siversk"]),
        ("37 drones shot down over Kharkiv", ["37", "drones", "shot", "kharkiv"]),
        ("Shelling in Kupiansk, shelling in KUPIANSK", ["shelling", "kupiansk"]),
        ("Де обстріли біля Сіверська?", ["обстріли", "сіверська"]),
        ("what happened?", []),
    ],
)
def test_query_terms_keep_topic_words_only(question: str, terms: list[str]) -> None:
    assert query_terms(question) == terms


def test_query_terms_fold_diacritics_and_case() -> None:
    assert query_terms("Síversk") == ["siversk"]
    assert query_terms("ZAPORIZHZHIA Zaporižžja") == ["zaporizhzhia", "zaporizzja"]


def test_query_terms_keep_cyrillic_letters_that_are_not_accented_forms() -> None:
    assert query_terms("Удари по Київщині, Україна, Дніпровський район") == [
        "удари",
        "київщині",
        "україна",
        "дніпровський",
        "район",
    ]


@pytest.mark.parametrize(
    "question",
    ["Що сталося біля Сіверська?", "Что случилось возле Сіверська?"],
    ids=["ukrainian", "russian"],
)
def test_query_terms_drop_ukrainian_and_russian_question_fillers(question: str) -> None:
    assert query_terms(question) == ["сіверська"]


def test_coverage_is_the_share_of_terms_in_the_text() -> None:
    text = "Shelling was reported near Síversk; two houses were damaged."
    assert coverage(["siversk", "shelling"], text) == 1.0
    assert coverage(["siversk", "drones"], text) == 0.5
    assert coverage(["kharkiv"], text) == 0.0
    assert coverage([], text) == 0.0


def test_coverage_matches_simple_plurals_and_verb_forms() -> None:
    assert coverage(["attacks"], "The attack began at dawn.") == 1.0
    assert coverage(["shelling"], "Russian forces shelled the town.") == 1.0


def test_coverage_matches_plurals_of_words_ending_in_e() -> None:
    assert coverage(["drones", "missiles"], "A drone and a missile hit the depot.") == 1.0


# -- duplicate folding ---------------------------------------------------------------------

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

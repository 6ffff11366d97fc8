"""Hybrid ranking: score fusion, relevance, query terms and coverage."""

from __future__ import annotations

from itertools import pairwise

import pytest

from index.search.ranking import coverage, fuse, query_terms

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

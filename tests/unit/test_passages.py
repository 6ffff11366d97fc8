"""split_passages: passages a reader can cite, never a sentence cut in half."""

from __future__ import annotations

import random
import re
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.ingest.passages import MAX_WORDS, MIN_WORDS, SOFT_MAX_FACTOR, count_words, split_passages
from index.models import Span

SOFT_MAX = int(MAX_WORDS * SOFT_MAX_FACTOR)
SENTENCE_END = re.compile(r"""[.!?…]["'”»)\]]*$""")

_VOCAB = (
    "troops moved along the road near the river while drones watched from above and "
    "artillery fired on positions held by the brigade during a night attack officials "
    "said that several houses were damaged in the village after heavy shelling"
).split()


def sentence(rng: random.Random, words: int) -> str:
    chosen = [rng.choice(_VOCAB) for _ in range(words)]
    return " ".join([chosen[0].capitalize(), *chosen[1:]]) + "."


def paragraph(rng: random.Random, sentences: int, lo: int = 6, hi: int = 22) -> str:
    return " ".join(sentence(rng, rng.randint(lo, hi)) for _ in range(sentences))


def prose(seed: int, paragraphs: int) -> str:
    rng = random.Random(seed)
    return "\n\n".join(paragraph(rng, rng.randint(1, 7)) for _ in range(paragraphs))


def texts(text: str, spans: list[Span]) -> list[str]:
    return [text[s.start : s.end] for s in spans]


def assert_exact_spans(text: str, spans: list[Span]) -> None:
    """Each span is the article's own text, trimmed, in order, with the right word count."""
    previous_end = 0
    for span in spans:
        chunk = text[span.start : span.end]
        assert chunk, span
        assert chunk == chunk.strip(), f"span {span} has surrounding whitespace: {chunk!r}"
        assert span.words == count_words(chunk)
        assert span.start >= previous_end, "passages overlap or go backwards"
        previous_end = span.end


def assert_ends_at_sentences(text: str, spans: list[Span]) -> None:
    for span in spans:
        chunk = text[span.start : span.end]
        assert SENTENCE_END.search(chunk) or span.end == len(text.rstrip()), (
            f"passage cuts a sentence in half: ...{chunk[-60:]!r}"
        )


# -- shape of the output ---------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_prose_passages_are_exact_trimmed_spans_of_the_article(seed: int) -> None:
    text = "\n\n" + prose(seed, 8) + "\n  \n"
    spans = split_passages(text)
    assert len(spans) >= 2
    assert_exact_spans(text, spans)
    # Every word of the article is in exactly one passage.
    assert sum(s.words for s in spans) == count_words(text)


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_prose_passages_are_between_min_and_soft_max_words(seed: int) -> None:
    text = prose(seed, 8)
    spans = split_passages(text)
    assert all(MIN_WORDS <= s.words <= SOFT_MAX for s in spans), [s.words for s in spans]


def test_many_short_paragraphs_are_joined_into_passages_of_40_to_150_words() -> None:
    rng = random.Random(11)
    text = "\n\n".join(paragraph(rng, 1, 12, 20) for _ in range(40))
    spans = split_passages(text)
    words = [s.words for s in spans]
    assert len(spans) >= 4
    assert all(MIN_WORDS <= w <= MAX_WORDS for w in words), words
    assert_ends_at_sentences(text, spans)


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_prose_passages_never_cut_a_sentence_in_half(seed: int) -> None:
    text = prose(seed, 10)
    spans = split_passages(text)
    assert len(spans) >= 3
    assert_ends_at_sentences(text, spans)


def test_one_giant_paragraph_becomes_several_passages_of_at_most_150_words() -> None:
    rng = random.Random(7)
    text = paragraph(rng, 60, 8, 20)
    assert count_words(text) > 600
    spans = split_passages(text)
    words = [s.words for s in spans]
    assert len(spans) >= 5
    assert all(MIN_WORDS <= w <= MAX_WORDS for w in words), words
    assert_ends_at_sentences(text, spans)
    assert_exact_spans(text, spans)


def test_a_one_line_article_is_one_passage() -> None:
    text = "Shelling was reported near Siversk overnight.\n"
    assert texts(text, split_passages(text)) == ["Shelling was reported near Siversk overnight."]


def test_an_article_shorter_than_min_words_is_still_one_passage() -> None:
    text = "Two drones were shot down near Kharkiv.\n\nNo one was hurt, officials said."
    spans = split_passages(text)
    assert texts(text, spans) == [text]
    assert spans[0].words == 13


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t \n"])
def test_empty_or_blank_text_has_no_passages(text: str) -> None:
    assert split_passages(text) == []


# -- sentences, abbreviations, wrapping --------------------------------------------------


def test_hard_wrapped_lines_stay_in_one_paragraph() -> None:
    first = (
        "Ukrainian officials said on Tuesday that Russian forces had intensified their\n"
        "assaults along the eastern front overnight, with the heaviest fighting reported\n"
        "around the approaches to the town from the north and the east of the river."
    )
    second = (
        "Local authorities ordered the evacuation of families with children from several\n"
        "villages, and volunteers continued to deliver water and medicine to the residents\n"
        "who stayed behind in the damaged houses near the railway station."
    )
    text = first + "\n\n" + second + "\n"
    # A tiny target makes every paragraph its own passage: a wrapped line must not be one.
    spans = split_passages(text, min_words=5, max_words=150, target_words=10)
    assert texts(text, spans) == [first, second]


def test_text_hard_wrapped_at_70_columns_is_not_cut_mid_sentence() -> None:
    paragraphs = [
        "Ukrainian officials said on Tuesday that Russian forces had intensified their "
        "assaults along the eastern front overnight, with the heaviest fighting reported "
        "around the approaches to the town from the north and east. Local authorities "
        "ordered the evacuation of families with children from several villages. "
        "Volunteers continued to deliver water and medicine to residents who stayed. "
        "The regional governor said that power had been restored to most districts by "
        "the morning, although several substations remained damaged after the strikes.",
        "Military spokespeople described continuing counteroffensive operations "
        "southeast of Zaporizhzhia, Kostiantynivka, Kramatorsk, Sloviansk, Druzhkivka "
        "and Pokrovsk, where reconnaissance detachments reported considerable "
        "concentrations of armoured vehicles, artillery and electronic-warfare equipment "
        "moving towards the administrative boundary. Independent verification was not "
        "possible.",
        "Residents of nearby villages said they had heard explosions throughout the night "
        "and that mobile networks were down for several hours. Humanitarian groups said they "
        "would resume deliveries once the roads were judged safe, and asked donors for "
        "generators, blankets and fuel ahead of the cold weather expected next week.",
    ]
    text = "\n\n".join(textwrap.fill(p) for p in paragraphs) + "\n"
    spans = split_passages(text)
    assert_ends_at_sentences(text, spans)


@pytest.mark.parametrize(
    "sentences",
    [
        [
            "Gen. Syrskyi said the line near Siversk was holding on Monday.",
            "Lt. Col. Petrenko and Dr. Ivanenko visited St. Nicholas church in the town.",
            "Shelling resumed at 5 a.m. according to J. Smith of the monitoring mission.",
            "The convoy left Kramatorsk at dawn and reached the front by noon.",
        ],
        [
            "Жители домов на ул. Ленина слышали взрывы около полуночи в четверг.",
            "Мешканці вул. Шевченка повідомили про пошкоджені вікна та дах школи.",
            "Рятувальники працювали на місці до ранку, поранених доправили до лікарні.",
        ],
    ],
    ids=["english", "cyrillic"],
)
def test_abbreviations_are_not_sentence_ends(sentences: list[str]) -> None:
    text = " ".join(sentences * 3)
    # Limits so small that every sentence is its own passage: any false sentence end shows.
    spans = split_passages(text, min_words=1, max_words=15, target_words=1)
    assert texts(text, spans) == sentences * 3


def test_a_run_on_text_without_punctuation_is_cut_into_chunks_of_at_most_150_words() -> None:
    rng = random.Random(5)
    text = " ".join(rng.choice(_VOCAB) for _ in range(1000))
    spans = split_passages(text)
    words = [s.words for s in spans]
    assert sum(words) == 1000
    assert len(spans) >= 7
    assert all(MIN_WORDS <= w <= MAX_WORDS for w in words), words
    assert_exact_spans(text, spans)


def test_cyrillic_prose_is_split_at_sentence_ends() -> None:
    ukrainian = [
        "Вночі російські війська обстріляли околиці Сіверська з артилерії та дронів.",
        "За словами місцевої влади, пошкоджено кілька житлових будинків і лінію електропередачі.",
        "Рятувальники працювали на місці до ранку, поранених доправили до лікарні.",
        "Голова громади закликав мешканців не повертатися до своїх домівок найближчими днями.",
    ]
    russian = [
        "Жители домов на ул. Ленина слышали взрывы около полуночи.",
        "Жители сообщили о перебоях со связью в течение нескольких часов.",
    ]
    text = " ".join((ukrainian + russian) * 8)
    spans = split_passages(text)
    words = [s.words for s in spans]
    assert len(spans) >= 2
    assert all(MIN_WORDS <= w <= MAX_WORDS for w in words), words
    assert_exact_spans(text, spans)
    assert_ends_at_sentences(text, spans)
    assert not any(chunk.startswith("Ленина") for chunk in texts(text, spans))


@pytest.mark.parametrize(("min_words", "max_words"), [(0, 150), (-5, 10), (100, 50)])
def test_invalid_limits_raise_value_error(min_words: int, max_words: int) -> None:
    with pytest.raises(ValueError, match="min_words"):
        split_passages("Some text here.", min_words=min_words, max_words=max_words)


# -- property ------------------------------------------------------------------------------

_words = st.text(alphabet="abcxyzАБЖ0123.,!?-'\"", min_size=1, max_size=12)
_separators = st.sampled_from([" ", " ", " ", "  ", "\n", "\n\n", " \n \n ", "\t", ". "])
_documents = st.lists(st.tuples(_words, _separators), max_size=400).map(
    lambda pairs: "".join(w + s for w, s in pairs)
)


@settings(max_examples=150, deadline=None)
@given(
    text=_documents,
    min_words=st.integers(1, 60),
    extra=st.integers(0, 120),
)
def test_passages_cover_all_text_in_order_without_overlap(
    text: str, min_words: int, extra: int
) -> None:
    spans = split_passages(text, min_words=min_words, max_words=min_words + extra)
    assert_exact_spans(text, spans)
    # Nothing but whitespace is left between, before or after the passages.
    gaps = [text[a.end : b.start] for a, b in zip([Span(0, 0, 0), *spans], spans, strict=False)]
    gaps.append(text[spans[-1].end :] if spans else text)
    assert all(not gap.strip() for gap in gaps), gaps
    assert sum(s.words for s in spans) == count_words(text)

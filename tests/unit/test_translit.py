"""Spelling keys: every romanisation of a name meets the others; adjectives are not places."""

from __future__ import annotations

import pytest

from index.folding import fold
from index.places.translit import romanisations, skeleton, stem


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Bakhmut", "Bajmut"),  # Spanish j for kh
        ("Bakhmut", "Бахмут"),
        ("Siversk", "Síversk"),
        ("Siversk", "Сіверськ"),
        ("Seversk", "Северск"),
        ("Verkhnokamianske", "Verjnokamianske"),
        ("Zaporizhzhia", "Zaporižžja"),  # scholarly
        ("Zaporizhzhia", "Zaporizhia"),
        ("Slovyansk", "Sloviansk"),
        ("Myrnohrad", "Mirnogorod"),  # Russian -gorod, Ukrainian -hrad
        ("Horlivka", "Gorlivka"),
        ("Chasiv Yar", "Часів Яр"),
        ("Chasiv Yar", "Chasiv-Yar"),
    ],
)
def test_spellings_of_one_name_share_a_skeleton(a: str, b: str) -> None:
    assert skeleton(a) == skeleton(b)


def test_different_towns_keep_different_skeletons() -> None:
    assert skeleton("Siversk") != skeleton("Seversk")
    assert skeleton("Kramatorsk") != skeleton("Kurakhove")


def test_three_romanisations_of_cyrillic() -> None:
    r = romanisations("Харків")
    assert r == {"ukrainian-national": "kharkiv", "bgn-pcgn": "kharkiv", "scholarly": "charkiv"}
    assert romanisations("Kharkiv") == {}
    assert romanisations("Щастя")["ukrainian-national"] == "shchastia"
    assert romanisations("Щастя")["bgn-pcgn"] == "shchastya"


def test_fold_strips_marks_of_latin_letters_only() -> None:
    assert fold("  Síversk’s  Zaporižžja ") == "siversks zaporizzja"
    assert fold("Київ") == "київ"


def test_stem_strips_case_endings_but_not_adjectives() -> None:
    assert stem(skeleton("Kotlyarovki")) == stem(skeleton("Kotlyarovka"))
    assert stem(skeleton("Severska")) == skeleton("Seversk")  # genitive of the town
    assert stem(skeleton("Северском")) == skeleton("Seversk")  # instrumental
    assert stem(skeleton("Seversky")) != skeleton("Seversk")  # the river's adjective
    assert stem(skeleton("Yama")) == skeleton("Yama")  # too short to strip

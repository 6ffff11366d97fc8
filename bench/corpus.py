"""A deterministic generator of synthetic situation reports for the benchmarks."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

TOWNS = (
    "Siversk Bakhmut Soledar Kramatorsk Sloviansk Lysychansk Kupiansk Vovchansk Kharkiv "
    "Pokrovsk Myrnohrad Toretsk Kostiantynivka Druzhkivka Lyman Izium Huliaipole Orikhiv "
    "Zaporizhzhia Kherson Mykolaiv Odesa Nikopol Marhanets Avdiivka Vuhledar Kurakhove "
    "Chasiv Yar Bilohorivka Kreminna Svatove Belgorod Kursk Bryansk Donetsk Horlivka "
    "Makiivka Mariupol Berdiansk Melitopol Tokmak Enerhodar Dnipro Pavlohrad Sumy Chernihiv"
).split()
EVENTS = (
    "artillery shelled residential districts of {town} overnight",
    "a drone struck an energy facility near {town}",
    "troops repelled {n} assault attempts on the outskirts of {town}",
    "authorities ordered the evacuation of {n} families from {town}",
    "a missile hit a railway depot in {town}",
    "volunteers delivered {n} tonnes of humanitarian aid to {town}",
    "power was cut to {n} households in {town} after strikes",
    "glide bombs damaged a school and a hospital in {town}",
    "reconnaissance units reported a build-up of armour east of {town}",
    "engineers restored the water supply in parts of {town}",
    "air defences shot down {n} drones approaching {town}",
    "fighting continued in forest belts {n} kilometres from {town}",
)
DETAILS = (
    "Local officials said {n} people were wounded and several homes were destroyed.",
    "The regional administration urged remaining residents to leave while roads are open.",
    "Military analysts said the sector had seen a rise in small infantry assaults.",
    "Repair crews worked through the night despite the risk of repeated strikes.",
    "The claims could not be independently verified.",
    "Schools in the district switched to remote lessons for the rest of the week.",
    "A spokesperson said the situation was difficult but under control.",
    "Satellite images showed fresh craters along the main supply road.",
)
SOURCES = ("Steppe Wire", "Donbas Morning", "Frontline Digest", "Eastern Desk", "Black Sea Monitor")


def _sentence(rng: random.Random) -> str:
    town = rng.choice(TOWNS)
    event = rng.choice(EVENTS).format(town=town, n=rng.randint(2, 400))
    return event[0].upper() + event[1:] + "."


def paragraph(rng: random.Random, words: int) -> str:
    """A paragraph of at least ``words`` words."""
    parts: list[str] = []
    while sum(len(p.split()) for p in parts) < words:
        if parts and rng.random() < 0.4:
            parts.append(rng.choice(DETAILS).format(n=rng.randint(2, 60)))
        else:
            parts.append(_sentence(rng))
    return " ".join(parts)


def articles(
    count: int, seed: int = 7, paragraphs: int = 1, words: int = 45
) -> list[dict[str, object]]:
    """``count`` JSONL records; each paragraph of ``words``+ words becomes about one passage."""
    rng = random.Random(seed)
    start = datetime(2026, 9, 1, tzinfo=UTC)
    out = []
    for i in range(count):
        body = "\n\n".join(paragraph(rng, words) for _ in range(paragraphs))
        published = start + timedelta(minutes=rng.randint(0, 80 * 24 * 60))
        out.append(
            {
                "url": f"https://bench.example/{seed}/{i}",
                "title": body.split(".")[0][:80],
                "published": published.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "source": rng.choice(SOURCES),
                "text": body,
            }
        )
    return out


def questions(count: int, seed: int = 11) -> list[str]:
    """Questions in the style users ask, about the synthetic towns and events."""
    rng = random.Random(seed)
    forms = (
        "what happened near {town}?",
        "shelling in {town}",
        "drones shot down over {town}",
        "evacuation of families from {town}",
        "power cuts in {town} after strikes",
        "humanitarian aid deliveries to {town}",
        "how many assaults were repelled at {town}?",
    )
    return [rng.choice(forms).format(town=rng.choice(TOWNS)) for _ in range(count)]

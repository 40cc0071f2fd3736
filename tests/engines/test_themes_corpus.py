"""A small synthetic corpus with obvious topics, varied wording and shared filler, shared by the theme tests."""

from __future__ import annotations

import random

TOPICS: dict[str, dict[str, list[str]]] = {
    "parking": {
        "subject": ["the car park", "parking", "parking spaces", "parking charges", "the multi-storey car park"],
        "claim": ["is full", "costs too much", "is never available", "needs more spaces", "is badly managed"],
        "detail": ["near the station", "by the hospital", "in the town centre", "after six", "for visitors"],
    },
    "burglary": {
        "subject": ["burglars", "burglaries", "house break-ins", "burglary", "thieves breaking into homes"],
        "claim": ["are rising", "worry older residents", "happen every week", "went unsolved", "scare neighbours"],
        "detail": ["on our estate", "at night", "near the allotments", "while we were away", "down the lane"],
    },
    "speeding": {
        "subject": ["speeding drivers", "speeding cars", "boy racers speeding", "speeding traffic", "speeding vans"],
        "claim": ["race past the school", "ignore the speed limit", "need speed cameras", "make crossing dangerous"],
        "detail": ["on the main road", "through the village", "every evening", "outside the primary school"],
    },
}
FILLER = ["honestly", "to be frank", "as a resident", "again", "in my view", "please act"]


def topic_corpus(per_topic: int = 20, seed: int = 7) -> tuple[list[str], list[str]]:
    """Texts and their true topic; every text is a fresh combination so no two are the same sentence."""
    rng = random.Random(seed)
    texts: list[str] = []
    topics: list[str] = []
    for topic, parts in TOPICS.items():
        seen: set[str] = set()
        while len(seen) < per_topic:
            sentence = f"{rng.choice(FILLER)}, {rng.choice(parts['subject'])} {rng.choice(parts['claim'])} "
            sentence += f"{rng.choice(parts['detail'])}"
            if sentence not in seen:
                seen.add(sentence)
                texts.append(sentence.capitalize() + ".")
                topics.append(topic)
    order = list(range(len(texts)))
    rng.shuffle(order)
    return [texts[i] for i in order], [topics[i] for i in order]


def test_corpus_is_varied_and_balanced() -> None:
    texts, topics = topic_corpus(per_topic=15)
    assert len(set(texts)) == len(texts) == 45
    assert sorted(set(topics)) == sorted(TOPICS)
    assert all(topics.count(topic) == 15 for topic in TOPICS)

"""Fixtures for the analysis workspace: an analyst over the force, contributions on a few topics."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

TOPICS = {
    "parking": ["Cars parked on the pavement outside the school every morning",
                "Parking on double yellow lines near the shops blocks the road",
                "Vans park across driveways and on the pavement all day",
                "School run parking is dangerous for children crossing"],
    "speeding": ["Cars speeding down the high street at night",
                 "Speeding motorbikes race along the main road after dark",
                 "Drivers speed past the primary school, we need speed cameras",
                 "Boy racers speeding around the retail park every weekend"],
    "drugs": ["Drug dealing in the park near the play area",
              "People dealing drugs openly outside the station",
              "Needles and drug litter left in the stairwell",
              "Cannabis smoke and dealing at the bus shelter every evening"],
}


@pytest.fixture
def analyst(area_tree: dict[str, Any], make_user: Any) -> Any:
    return make_user("analyst", area_tree["force"])


@pytest.fixture
def contributions(area_tree: dict[str, Any]) -> list[Any]:
    from byconsent.core.models import Channel, Contribution

    made = []
    for repeat in range(3):
        for topic, texts in TOPICS.items():
            for n, text in enumerate(texts):
                area = area_tree["north_ward"] if n % 2 == 0 else area_tree["south_ward"]
                made.append(Contribution.objects.create(
                    channel=Channel.ONLINE_SURVEY if repeat else Channel.COMMENT, area=area,
                    text=f"{text} ({topic} {repeat})" if repeat else text,
                    created_on=date(2026, 9 + repeat, 10)))
    return made


@pytest.fixture
def codebook(analyst: Any, area_tree: dict[str, Any]) -> Any:
    from byconsent.insights import services

    book = services.create_codebook(analyst, name="Community concerns", area=area_tree["force"])
    roads = services.save_code(analyst, book, label="Roads", description="Traffic and parking")
    services.save_code(analyst, book, label="Parking", description="Parking problems", parent=roads)
    services.save_code(analyst, book, label="Speeding", description="Driving too fast", parent=roads)
    services.save_code(analyst, book, label="Drugs", description="Dealing, use, litter")
    return book


@pytest.fixture
def coding_set(analyst: Any, area_tree: dict[str, Any], contributions: list[Any], codebook: Any) -> Any:
    from byconsent.insights import services

    return services.create_contribution_set(analyst, name="Autumn engagement", area=area_tree["force"],
                                            codebook=codebook)

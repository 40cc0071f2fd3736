"""Panels fixtures: a panel in the North division with census shares, quotas and a pool registered with codes."""

from __future__ import annotations

from typing import Any

import pytest

from byconsent.core.models import Role

SHARES = "category,value,share\nsex,Female,0.5\nsex,Male,0.5\nage,16-39,0.5\nage,40+,0.5\n"


def address_csv(n: int, areas: tuple[str, ...] = ("Northtown", "Southtown")) -> str:
    lines = ["address,postcode,area"]
    lines += [f"{i} High Street,AB1 {i % 10}CD,{areas[i % len(areas)]}" for i in range(1, n + 1)]
    return "\n".join(lines) + "\n"


@pytest.fixture
def officer(area_tree: dict[str, Any], make_user: Any) -> Any:
    return make_user(Role.ENGAGEMENT_OFFICER, area_tree["north"])


@pytest.fixture
def panel(area_tree: dict[str, Any], officer: Any) -> Any:
    from byconsent.panels import services

    panel = services.create_panel(officer, area=area_tree["north_town"], name="Northtown Police Panel",
                                  kind="mini_public", purpose="Advise on local priorities.", panel_size=4,
                                  reserve_size=2, quota_tolerance=0)
    services.set_census_shares(officer, panel, SHARES)
    services.build_quotas_from_census(officer, panel)
    return panel


def register_pool(panel: Any, officer: Any, people: list[tuple[str, str]]) -> list[Any]:
    """Draw enough addresses and register one volunteer per (sex, age) pair, each with their own code."""
    from byconsent.panels import services

    round_ = services.create_round(officer, panel, address_csv(len(people) + 5), sample_size=len(people),
                                   seed="pool")
    codes = list(round_.addresses.filter(drawn=True).values_list("code", flat=True))
    volunteers = []
    for i, (sex, age) in enumerate(people):
        data = services.Registration(code=codes[i], full_name=f"Person {i}", email=f"p{i}@example.test",
                                     answers={"sex": sex, "age": age}, consent=True)
        volunteers.append(services.register_volunteer(panel, data)[0])
    return volunteers


BALANCED = [("Female", "16-39"), ("Female", "40+"), ("Male", "16-39"), ("Male", "40+")] * 3

from __future__ import annotations

from byconsent.core.models import PostcodeArea
from byconsent.core.postcodes import find_area, normalise_postcode, outward_code


def test_postcodes_are_normalised_or_refused():
    assert normalise_postcode(" eh1 1aa ") == "EH11AA"
    assert normalise_postcode("EH1") == "EH1"
    assert normalise_postcode("not a postcode") is None
    assert outward_code("EH11AA") == "EH1"


def test_a_full_postcode_wins_over_its_outward_code(db, area_tree):
    PostcodeArea.objects.create(postcode="EH1", area=area_tree["north_town"])
    PostcodeArea.objects.create(postcode="EH11AA", area=area_tree["north_ward"])
    assert find_area("EH1 1AA") == area_tree["north_ward"]
    assert find_area("EH1 2BB") == area_tree["north_town"]  # only the outward code is known
    assert find_area("G1 1AA") is None
    assert find_area("rubbish") is None

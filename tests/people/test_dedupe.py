"""Duplicate detection: normalisation rules (property tests), the duplicates list and the merge screen."""

from __future__ import annotations

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from byconsent.core.models import AuditEntry, Role
from byconsent.people import dedupe, services
from byconsent.people.models import ContactEvent, Person, PersonMerge
from byconsent.people.selectors import duplicate_pairs

relaxed = settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
names = st.text(alphabet=st.characters(categories=["L", "Zs", "Pd", "Po"]), min_size=1, max_size=40)


@relaxed
@given(names)
def test_name_normalisation_is_idempotent(name):
    once = dedupe.normalise_name(name)
    assert dedupe.normalise_name(once) == once


@relaxed
@given(names)
def test_case_accents_spacing_and_punctuation_do_not_matter(name):
    noisy = "  " + name.upper().replace(" ", "   ") + ". "
    assert dedupe.normalise_name(noisy) == dedupe.normalise_name(name)


@relaxed
@given(names, names)
def test_similarity_is_symmetric_and_bounded(a, b):
    assert dedupe.name_similarity(a, b) == dedupe.name_similarity(b, a)
    assert 0.0 <= dedupe.name_similarity(a, b) <= 1.0


@relaxed
@given(names)
def test_a_name_is_like_itself_and_its_title_and_word_order_variants(name):
    assume(dedupe.normalise_name(name))
    assert dedupe.name_similarity(name, name) == 1.0
    words = dedupe.normalise_name(name).split()
    assert dedupe.name_similarity(" ".join(reversed(words)), name) == 1.0


@relaxed
@given(st.emails())
def test_email_normalisation(email):
    assert dedupe.normalise_email(f"  {email.upper()} ") == dedupe.normalise_email(email) == email.strip().lower()


@pytest.mark.parametrize("a,b,same", [
    ("Dr. Siobhán O'Neill", "siobhan oneill", True),
    ("John Smith", "Smith, John", True),
    ("J Smith", "John Smith", True),
    ("Jon Smith", "John Smith", True),
    ("John Smith", "Jane Smyth", False),
    ("Mohammed Khan", "Muhammad Khan", True),
    ("Ann Lee", "Bob Lee", False),
])
def test_known_name_pairs(a, b, same):
    assert (dedupe.name_similarity(a, b) >= dedupe.SIMILARITY_THRESHOLD) == same


def test_likely_same_needs_the_same_postcode_for_names():
    assert dedupe.likely_same("John Smith", "eh1 1yz", "Smith John", "EH11YZ") == "similar name at the same postcode"
    assert dedupe.likely_same("John Smith", "EH1 1YZ", "John Smith", "G1 1AA") is None
    assert dedupe.likely_same("A", "", "B", "", "X@Example.test", "x@example.test") == "same email address"


def test_duplicates_list_and_merge_keep_history(make_person, consented, area_tree, make_user, client_for):
    officer = make_user(Role.ENGAGEMENT_OFFICER, area_tree["force"])
    keep = consented(make_person(full_name="John Smith", email="john@example.test", postcode="EH11YZ"))
    other = make_person(full_name="Jon Smith", email="", phone="07700 900555", postcode="EH11YZ")
    services.record_contact(other, "attendance", "in_person", source="event:1")
    make_person(full_name="Someone Else", postcode="EH11YZ")
    pairs = duplicate_pairs(officer)
    assert [(p.first.pk, p.second.pk, p.reason) for p in pairs] == [
        (keep.pk, other.pk, "similar name at the same postcode")]
    client = client_for(officer)
    assert "Compare and merge" in client.get(reverse("people:duplicate_list")).content.decode()
    url = reverse("people:merge", args=[keep.pk, other.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"full_name": "keep", "phone": "other", "email": "keep"})
    assert response.status_code == 302
    keep.refresh_from_db()
    other.refresh_from_db()
    assert keep.phone == "07700 900555" and keep.full_name == "John Smith"
    assert other.merged_into == keep and other.full_name == "" and not other.is_current
    assert ContactEvent.objects.filter(person=keep, source="event:1").exists()
    merge = PersonMerge.objects.get()
    assert merge.merged_snapshot["full_name"] == "Jon Smith" and merge.moved["contact_events"] == 1
    assert AuditEntry.objects.filter(action="person.merged").exists()
    assert duplicate_pairs(officer) == []
    assert "Jon Smith" in client.get(reverse("people:person_detail", args=[keep.pk])).content.decode()


def test_same_email_pairs(make_person, area_tree, make_user):
    officer = make_user(Role.ENGAGEMENT_OFFICER, area_tree["force"])
    a = make_person(email="dup@example.test")
    b = make_person(email="DUP@example.test", area=area_tree["south_ward"])
    assert [(p.first, p.second, p.reason) for p in duplicate_pairs(officer)] == [(a, b, "same email address")]
    north = make_user(Role.ENGAGEMENT_OFFICER, area_tree["north"])
    assert duplicate_pairs(north) == []  # cannot see the southern record


def test_two_accounts_cannot_be_merged(make_person, area_tree, make_user):
    officer = make_user(Role.ENGAGEMENT_OFFICER, area_tree["force"])
    a = make_person(user=make_user())
    b = make_person(user=make_user())
    with pytest.raises(Exception, match="sign-in account"):
        services.merge_people(officer, a, b, {})
    assert Person.objects.current().count() == 2

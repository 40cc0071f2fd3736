"""Demo stakeholders for the demo force (Police Scotland geography): organisations, people with consents, equality
data, a standing panel and a segment, so every people screen has something to show.

Loaded by `byconsent manage load_people_demo` after `byconsent demo`; idempotent (does nothing if people exist).
Rhona Resident (resident@demo.byconsent.test) is among them, so the self-service pages can be tried: the demo
writes emails to var/sent-mail/, where the sign-in link can be found.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from byconsent.core.models import Area, User
from byconsent.people.models import (
    ConsentRecord,
    ContactEvent,
    Demographics,
    Interest,
    Membership,
    Organisation,
    PanelMembership,
    Person,
    Purpose,
    Segment,
)
from byconsent.people.purposes import ensure_default_purposes

ORGANISATIONS = [
    ("Leith Community Mosque", "faith_group", "S13002922"),
    ("Craigentinny Primary School", "school", "S13002932"),
    ("City Centre Residents' Association", "community_group", "S13002929"),
    ("Edinburgh Independent Advisory Group", "advisory_group", "S12000036"),
    ("City of Edinburgh Council", "council", "S12000036"),
]
# name, email, ward, postcode, interests, organisation index or None, role, purposes, demographics
PEOPLE = [
    ("Rhona Resident", "resident@demo.byconsent.test", "S13002929", "EH11YZ", ["Road safety"], 2, "Member",
     ["consultation-alerts", "standing-panel"], {"age_band": "45-54", "sex": "female", "ethnicity": "white"}),
    ("Imam Yusuf Ahmed", "yusuf@example.test", "S13002922", "EH66AA", ["Hate crime", "Youth"], 0, "Imam",
     ["consultation-alerts"], {"religion": "muslim", "ethnicity": "asian"}),
    ("Grace Okafor", "grace@example.test", "S13002932", "EH76BB", ["Youth"], 1, "Head teacher",
     ["consultation-alerts", "panel-invitations"], {"ethnicity": "african", "religion": "christian"}),
    ("Tomasz Nowak", "tomasz@example.test", "S13002922", "EH66AB", ["Road safety"], None, "",
     ["standing-panel"], {"age_band": "25-34", "sex": "male", "ethnicity": "white"}),
    ("Siobhán O'Neill", "siobhan@example.test", "S13002929", "EH12AB", ["Antisocial behaviour"], 2, "Chair",
     ["consultation-alerts", "you-said-we-did"], {"sexual_orientation": "bisexual", "disability": "no"}),
    ("Cllr Morag Fraser", "morag.fraser@example.test", "S12000036", "", [], 4, "Community safety convener",
     [], {}),
    ("Dr Priya Sharma", "priya@example.test", "S12000036", "EH39XY", ["Hate crime"], 3, "Member",
     ["consultation-alerts"], {"religion": "hindu", "ethnicity": "asian", "age_band": "35-44"}),
    ("Jamie Stewart", "jamie@example.test", "S13002932", "EH76CC", ["Youth"], None, "",
     ["standing-panel", "panel-invitations"], {"age_band": "16-24", "disability": "limited_a_little"}),
    ("Ewan MacLeod", "", "S13002922", "EH66AC", [], None, "", [], {}),
]


def load_people_demo() -> dict[str, int]:
    ensure_default_purposes()
    if Person.objects.exists() or not Area.objects.filter(code="S32000006").exists():
        return {"people": 0}
    now = timezone.now()
    with transaction.atomic():
        interests = {name: Interest.objects.get_or_create(name=name)[0]
                     for name in ("Road safety", "Youth", "Hate crime", "Antisocial behaviour")}
        organisations = [Organisation.objects.create(name=name, kind=kind, area=Area.objects.get(code=code))
                         for name, kind, code in ORGANISATIONS]
        owner = User.objects.filter(email="officer@demo.byconsent.test").first()
        purposes = {p.slug: p for p in Purpose.objects.all()}
        panel = Segment.objects.create(name="Edinburgh community panel", area=Area.objects.get(code="S32000006"),
                                       purpose=purposes["standing-panel"], is_panel=True,
                                       description="Residents who agreed to hear from us a few times a year.")
        Segment.objects.create(name="Young people in Edinburgh", area=Area.objects.get(code="S12000036"),
                               purpose=purposes["consultation-alerts"], seldom_heard=True,
                               filters={"interests": [interests["Youth"].pk]},
                               description="Seldom heard in our consultations: people interested in youth issues.")
        for index, (name, email, ward, postcode, topics, organisation, role, agreed, answers) in enumerate(PEOPLE):
            person = Person.objects.create(
                full_name=name, email=email, postcode=postcode, area=Area.objects.get(code=ward),
                address=f"{index + 1} Demo Street, Edinburgh" if postcode else "", relationship_owner=owner,
                user=User.objects.filter(email=email).first() if email else None,
                preferred_channel="email" if email else "post")
            person.interests.set([interests[t] for t in topics])
            if organisation is not None:
                Membership.objects.create(person=person, organisation=organisations[organisation], role=role,
                                          is_main_contact=bool(role and role != "Member"),
                                          started_on=(now - timedelta(days=400)).date())
            for slug in agreed:
                ConsentRecord.objects.create(person=person, purpose=purposes[slug], source="web_form",
                                             given_at=now - timedelta(days=90 + index),
                                             wording=f"Yes: {purposes[slug].description}")
                if slug == "standing-panel":
                    PanelMembership.objects.create(segment=panel, person=person)
            if answers:
                row = Demographics(person=person, source="web_form")
                row.answers = answers  # type: ignore[assignment]  # encrypted JSON, typed as text by the stubs
                row.save()
            ContactEvent.objects.create(person=person, kind="invitation", channel="email" if email else "post",
                                        purpose=purposes["consultation-alerts"], source="Demo consultation",
                                        occurred_at=now - timedelta(days=20))
    return {"people": len(PEOPLE), "organisations": len(ORGANISATIONS)}

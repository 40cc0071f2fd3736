"""The panel pages over HTTP: permissions (403 for a role that never may, 404 outside one's areas), the public
registration with a code, the selection screens, running the panel and the public page with disclosure control."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from byconsent.core.models import Role
from byconsent.panels import services
from byconsent.panels.models import Panel, Selection, Volunteer
from tests.panels.conftest import BALANCED, address_csv, register_pool

pytestmark = pytest.mark.django_db


def _select(panel, officer, seed="view-seed"):
    from byconsent.panels.tasks import select_task

    selection = services.start_selection(officer, panel, seed=seed)
    select_task.call(selection.task_id)
    selection.refresh_from_db()
    return selection


def test_role_without_the_action_gets_403_and_other_areas_get_404(panel, make_user, area_tree, client_for):
    analyst = make_user(Role.ANALYST, area_tree["force"])
    assert client_for(analyst).get(reverse("panels:staff_list")).status_code == 403
    south = make_user(Role.ENGAGEMENT_OFFICER, area_tree["south"])
    client = client_for(south)
    assert client.get(reverse("panels:staff_list")).status_code == 200
    assert panel.name not in client.get(reverse("panels:staff_list")).content.decode()
    for name in ("staff_detail", "staff_quotas", "staff_volunteers", "staff_select", "staff_sessions"):
        assert client.get(reverse(f"panels:{name}", args=[panel.pk])).status_code == 404
    assert client.post(reverse("panels:staff_confirm", args=[panel.pk])).status_code == 404


def test_anonymous_staff_pages_redirect_to_sign_in(panel, client):
    response = client.get(reverse("panels:staff_detail", args=[panel.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_create_panel_through_the_page(area_tree, officer, client_for):
    client = client_for(officer)
    assert client.get(reverse("panels:staff_create")).status_code == 200
    response = client.post(reverse("panels:staff_create"), {
        "name": "Youth voice", "kind": "youth", "area": area_tree["north_town"].pk, "purpose": "Co-design",
        "panel_size": 6, "reserve_size": 2, "quota_tolerance": 1, "algorithm": "leximin"})
    assert response.status_code == 200
    assert "A youth co-design group needs a designated safeguarding lead." in response.content.decode()
    response = client.post(reverse("panels:staff_create"), {
        "name": "Youth voice", "kind": "youth", "area": area_tree["north_town"].pk, "purpose": "Co-design",
        "panel_size": 6, "reserve_size": 2, "quota_tolerance": 1, "algorithm": "leximin",
        "safeguarding_lead": officer.email})
    panel = Panel.objects.get(name="Youth voice")
    assert response.status_code == 302 and panel.safeguarding_lead == officer


def test_census_page_builds_quotas_and_reports_bad_lines(panel, officer, client_for):
    client = client_for(officer)
    url = reverse("panels:staff_census", args=[panel.pk])
    response = client.post(url, {"shares": "category,value,share\nsex,F,0.5\nsex,M,x\n"})
    assert "Line 3: &#x27;x&#x27; is not a number." in response.content.decode()
    response = client.post(url, {"shares": "category,value,share\nsex,F,50%\nsex,M,50%\n"})
    assert response.status_code == 302
    assert {q.value for q in panel.quotas.all()} == {"F", "M"}
    page = client.get(reverse("panels:staff_quotas", args=[panel.pk]) + "?check=1").content.decode()
    assert "No panel can meet every quota with this pool" in page


def test_round_upload_and_letters(panel, officer, client_for):
    client = client_for(officer)
    upload = SimpleUploadedFile("addresses.csv", address_csv(30).encode())
    response = client.post(reverse("panels:staff_round_new", args=[panel.pk]),
                           {"file": upload, "sample_size": 6, "oversample": "Northtown = 2", "seed": "abc"})
    assert response.status_code == 302
    round_ = panel.rounds.get()
    letters = client.get(reverse("panels:staff_letters", args=[panel.pk, round_.pk])).content.decode()
    assert letters.count('class="app-letter"') == 6
    code = round_.addresses.filter(drawn=True).first()
    assert code.display_code in letters
    bad = SimpleUploadedFile("addresses.csv", b"address,area\n,North\n")
    response = client.post(reverse("panels:staff_round_new", args=[panel.pk]), {"file": bad, "sample_size": 1})
    assert "Line 2: the address is empty." in response.content.decode()


def test_public_registration_with_a_code_once(panel, officer, client):
    round_ = services.create_round(officer, panel, address_csv(5), sample_size=2, seed="s")
    code = round_.addresses.filter(drawn=True).first().display_code
    url = reverse("panels:register", args=[panel.slug])
    page = client.get(url).content.decode()
    assert "stored encrypted" in page
    data = {"code": code, "full_name": "Bea Example", "email": "bea@example.test", "answer_0": "40+",
            "answer_1": "Female", "consent": "on"}  # questions in the quotas' order: age, then sex
    first = client.post(url, data)
    second = client.post(url, data)
    assert first.status_code == second.status_code == 200
    assert "Thank you for volunteering" in second.content.decode()
    assert Volunteer.objects.count() == 1
    other = client.post(url, {**data, "full_name": "Someone Else", "email": "x@example.test"}).content.decode()
    assert "already been used" in other


def test_registration_is_rate_limited(panel, client):
    url = reverse("panels:register", args=[panel.slug])
    statuses = [client.post(url, {"code": "nope"}).status_code for _ in range(12)]
    assert 429 in statuses


def test_selection_pages_and_draw_file(panel, officer, client_for, client):
    register_pool(panel, officer, BALANCED)
    staff = client_for(officer)
    response = staff.post(reverse("panels:staff_select", args=[panel.pk]), {"algorithm": "leximin", "seed": "pub"})
    selection = Selection.objects.get()
    assert response.status_code == 302
    waiting = staff.get(reverse("panels:staff_selection", args=[panel.pk, selection.pk])).content.decode()
    assert "Check progress" in waiting and 'http-equiv="refresh"' not in waiting
    progress = staff.get(reverse("panels:staff_selection_progress", args=[panel.pk, selection.pk])).json()
    assert progress["status"] == "queued"
    from byconsent.panels.tasks import select_task

    select_task.call(selection.task_id)
    page = staff.get(reverse("panels:staff_selection", args=[panel.pk, selection.pk])).content.decode()
    assert "How anyone can check the draw" in page and "33.3%" in page
    draw = json.loads(staff.get(reverse("panels:staff_draw_file", args=[panel.pk, selection.pk])).content)
    # Re-derive the draw from the file alone.
    import hashlib
    ticket = int(hashlib.sha256(draw["seed"].encode()).hexdigest(), 16) % draw["lottery_size"]
    running = 0
    for entry in draw["panels"]:
        if running <= ticket < running + entry["tickets"]:
            assert entry["members"] == draw["selected"]
        running += entry["tickets"]
    assert running == draw["lottery_size"]
    assert "Person" not in json.dumps(draw)
    public = client.get(reverse("panels:public_detail", args=[panel.slug])).content.decode()
    assert "pub" in public and "Check the draw yourself" in public
    assert client.get(reverse("panels:public_draw_file", args=[panel.slug])).status_code == 200


def test_public_characteristics_hide_small_counts(panel, officer, client):
    register_pool(panel, officer, BALANCED)
    _select(panel, officer)
    page = client.get(reverse("panels:public_detail", args=[panel.slug])).content.decode()
    assert "hidden" in page  # 2 and 2 of 4 members: every count is below the threshold of 10


def test_replace_page(panel, officer, client_for):
    register_pool(panel, officer, BALANCED)
    services.update_panel(officer, panel, reserve_size=8)
    selection = _select(panel, officer)
    member = panel.volunteers.filter(status=Volunteer.Status.SELECTED).first()
    client = client_for(officer)
    url = reverse("panels:staff_replace", args=[panel.pk, member.pk])
    assert "keeps every quota" in client.get(url).content.decode()
    response = client.post(url, {"reason": "Moved away"})
    assert response["Location"] == reverse("panels:staff_selection", args=[panel.pk, selection.pk])
    member.refresh_from_db()
    assert member.status == Volunteer.Status.DROPPED_OUT and member.replaced_by


def test_running_pages(panel, officer, client_for):
    register_pool(panel, officer, BALANCED)
    _select(panel, officer)
    client = client_for(officer)
    response = client.post(reverse("panels:staff_sessions", args=[panel.pk]), {
        "title": "First meeting", "date_0": "3", "date_1": "3", "date_2": "2027", "time": "18:30", "location": "Hall"})
    assert response.status_code == 302
    session = panel.sessions.get()
    member = panel.volunteers.filter(status=Volunteer.Status.SELECTED).first()
    assert client.post(reverse("panels:staff_session", args=[panel.pk, session.pk]),
                       {"attended": [str(member.pk)]}).status_code == 302
    assert session.attendance.filter(attended=True).count() == 1
    for _ in range(2):
        client.post(reverse("panels:staff_payments", args=[panel.pk]), {
            "volunteer": member.pk, "kind": "thank_you", "amount": "40.00", "key": "same-key"})
    assert panel.payments.count() == 1
    client.post(reverse("panels:staff_recommendations", args=[panel.pk]), {"text": "Open the station on Sundays."})
    recommendation = panel.recommendations.get()
    client.post(reverse("panels:staff_recommendation", args=[panel.pk, recommendation.pk]),
                {"response": "We will try it for six months.", "publish": "on"})
    public = client.get(reverse("panels:public_detail", args=[panel.slug])).content.decode()
    assert "Open the station on Sundays." in public and "We will try it for six months." in public


def test_youth_contact_details_hidden_from_other_staff(area_tree, officer, make_user, client_for):
    lead = make_user(Role.ENGAGEMENT_OFFICER, area_tree["north"])
    youth = services.create_panel(officer, area=area_tree["north_town"], name="Youth", kind="youth", purpose="p",
                                  panel_size=2, safeguarding_lead=lead)
    services.set_census_shares(officer, youth, "category,value,share\nage,13-15,0.5\nage,16-18,0.5\n")
    services.build_quotas_from_census(officer, youth)
    round_ = services.create_round(officer, youth, address_csv(3), sample_size=1, seed="y")
    services.register_volunteer(youth, services.Registration(
        code=round_.addresses.get(drawn=True).code, full_name="Young Person", email="young@example.test",
        answers={"age": "13-15"}, consent=True, is_under_16=True, guardian_name="Parent",
        guardian_email="parent@example.test", guardian_consent=True))
    url = reverse("panels:staff_volunteers", args=[youth.pk])
    assert "young@example.test" not in client_for(officer).get(url).content.decode()
    assert "young@example.test" in client_for(lead).get(url).content.decode()
    ethics = make_user(Role.ETHICS_PANEL, area_tree["force"])
    assert client_for(ethics).get(reverse("panels:staff_safeguarding", args=[youth.pk])).status_code == 200
    assert client_for(ethics).get(url).status_code == 403


def test_census_bulk_file_becomes_shares_and_quotas(panel, officer, client_for):
    ons = ('"date","geography","geography code","Sex: All persons; measures: Value","Sex: Female; measures: Value",'
           '"Sex: Male; measures: Value"\n"2021","A","E01000001",100,60,40\n"2021","B","E01000002",100,40,60\n'
           '"2021","C","E01000003",100,90,10\n')
    upload = SimpleUploadedFile("census.csv", ons.encode())
    response = client_for(officer).post(reverse("panels:staff_census_bulk", args=[panel.pk]),
                                        {"bulk-file": upload, "bulk-areas": "E01000001, E01000002"})
    assert response.status_code == 302
    shares = {s.value: s.share for s in panel.census_shares.all()}
    assert shares == {"Female": 0.5, "Male": 0.5}
    assert {q.category for q in panel.quotas.all()} == {"Sex"}
    upload = SimpleUploadedFile("census.csv", ons.encode())
    page = client_for(officer).post(reverse("panels:staff_census_bulk", args=[panel.pk]),
                                    {"bulk-file": upload, "bulk-areas": "E09999999"}).content.decode()
    assert "E09999999" in page and "There is a problem" in page


def test_public_page_shows_census_shares_not_quota_bounds(panel, client, officer):
    services.create_round(officer, panel, address_csv(3), sample_size=1, seed="s")
    page = client.get(reverse("panels:public_detail", args=[panel.slug])).content.decode()
    assert "50%" in page and "Members allowed" not in page


def test_draft_panels_are_not_public(area_tree, officer, client):
    draft = services.create_panel(officer, area=area_tree["north_town"], name="Draft", kind="standing",
                                  purpose="p", panel_size=3)
    assert client.get(reverse("panels:public_detail", args=[draft.slug])).status_code == 404
    assert client.get(reverse("panels:register", args=[draft.slug])).status_code == 404


def test_recruiting_panels_are_listed_near_their_area_and_attention_items(panel, officer, area_tree):
    from byconsent.core.registries import attention_items, public_listings

    assert not [i for i in public_listings(area_tree["north_ward"]) if i.title == panel.name]
    services.create_round(officer, panel, address_csv(3), sample_size=1, seed="s")
    assert [i for i in public_listings(area_tree["north_ward"]) if i.title == panel.name]
    assert not [i for i in public_listings(area_tree["south_ward"]) if i.title == panel.name]
    services.start_selection(officer, panel)
    from byconsent.panels.tasks import select_task

    select_task.call(panel.selections.get().task_id)  # an empty pool cannot meet the quotas
    assert [i for i in attention_items(officer) if "could not meet" in i.title]


def test_confirmation_letters_for_people_without_email(panel, officer, client_for):
    round_ = services.create_round(officer, panel, address_csv(20), sample_size=12, seed="s")
    codes = list(round_.addresses.filter(drawn=True).values_list("code", flat=True))
    for i, (sex, age) in enumerate(BALANCED):
        services.register_volunteer(panel, services.Registration(
            code=codes[i], full_name=f"Letter Person {i}", phone="0131 000 0000", answers={"sex": sex, "age": age},
            consent=True))
    _select(panel, officer)
    assert services.send_confirmations(officer, panel) == {"emails": 0, "letters": 6}
    page = client_for(officer).get(reverse("panels:staff_confirmation_letters", args=[panel.pk])).content.decode()
    assert page.count('class="app-letter"') == 6 and "You have been chosen for" in page


def test_changed_quotas_name_the_volunteers_who_no_longer_fit(panel, officer):
    register_pool(panel, officer, BALANCED)
    services.set_census_shares(officer, panel, "category,value,share\nsex,Woman,0.5\nsex,Man,0.5\n")
    services.build_quotas_from_census(officer, panel)
    feasibility = services.check_feasibility(panel)
    assert not feasibility.feasible and "match no quota" in feasibility.reasons[0]
    selection = _select(panel, officer)
    assert selection.status == Selection.Status.FAILED and "match no quota" in selection.problems["reasons"][0]


def test_withdraw_and_fill_seat_views(panel, officer, client_for):
    register_pool(panel, officer, BALANCED)
    selection = _select(panel, officer)
    client = client_for(officer)
    reserve = panel.volunteers.filter(status=Volunteer.Status.RESERVE).first()
    page = client.get(reverse("panels:staff_volunteer", args=[panel.pk, reserve.pk])).content.decode()
    assert "Withdraw from the pool" in page
    response = client.post(reverse("panels:staff_withdraw", args=[panel.pk, reserve.pk]),
                           {"withdraw_reason": "Moved away"})
    assert response.status_code == 302
    reserve.refresh_from_db()
    assert reserve.status == Volunteer.Status.DROPPED_OUT
    response = client.post(reverse("panels:staff_fill_seat", args=[panel.pk, selection.pk]), follow=True)
    assert "Every seat is filled." in response.content.decode()


def test_staff_correct_answers_without_putting_them_in_the_audit_trail(panel, officer, client_for):
    from byconsent.core.models import AuditEntry

    volunteer = register_pool(panel, officer, BALANCED[:1])[0]
    client = client_for(officer)
    url = reverse("panels:staff_answers", args=[panel.pk, volunteer.pk])
    assert client.get(url).context["form"].initial == {"answer_0": "16-39", "answer_1": "Female"}
    response = client.post(url, {"answer_0": "40+", "answer_1": "Male"})
    assert response.status_code == 302
    volunteer.refresh_from_db()
    assert volunteer.answers.answers == {"sex": "Male", "age": "40+"}
    entry = AuditEntry.objects.get(action="panel.answers_corrected")
    assert entry.after == {"categories_changed": ["age", "sex"]} and "Male" not in str(entry.after)

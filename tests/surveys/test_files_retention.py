"""Uploaded files leave storage with the drafts that held them (90-day retention, erasure through the privacy
registry), and files nothing refers to any more are swept up."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from byconsent.surveys import services
from byconsent.surveys.models import Draft, UploadedFile
from byconsent.surveys.privacy import _erase_drafts, _expire_drafts

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def evidence(officer: Any, survey: Any) -> Any:
    more = survey.current_version.pages.get(title="More")
    services.add_question(officer, more, key="evidence", type="file", text="A photo, if you have one")
    return more


def upload(draft: Draft, page: Any, name: str = "photo.pdf") -> UploadedFile:
    services.save_page(draft, page, {}, uploads={"evidence": SimpleUploadedFile(name, b"%PDF-1.4 " + name.encode())})
    return UploadedFile.objects.filter(draft=draft).latest("pk")


def on_disk(stored: UploadedFile) -> bool:
    return default_storage.exists(stored.file.name)


def test_expired_drafts_take_their_files_with_them(survey: Any, evidence: Any,
                                                   django_capture_on_commit_callbacks: Any) -> None:
    old, recent = services.start_draft(survey), services.start_draft(survey)
    old_file, recent_file = upload(old, evidence), upload(recent, evidence)
    assert on_disk(old_file) and on_disk(recent_file)
    Draft.objects.filter(pk=old.pk).update(updated_on=timezone.localdate() - timedelta(days=91))
    with django_capture_on_commit_callbacks(execute=True):
        assert _expire_drafts(timezone.now() - timedelta(days=90)) == 1
    assert not on_disk(old_file) and not UploadedFile.objects.filter(pk=old_file.pk).exists()
    assert on_disk(recent_file) and Draft.objects.filter(pk=recent.pk).exists()


def test_erasure_through_the_privacy_registry_deletes_the_files(survey: Any, evidence: Any, make_user: Any,
                                                                django_capture_on_commit_callbacks: Any) -> None:
    person = make_user(email="pat@example.org")
    draft = services.start_draft(survey, user=person)
    stored = upload(draft, evidence)
    with django_capture_on_commit_callbacks(execute=True):
        assert _erase_drafts(person) == 1
    assert not on_disk(stored) and not Draft.objects.filter(pk=draft.pk).exists()


def test_files_nothing_refers_to_are_swept(survey: Any, evidence: Any, media: Any,
                                           django_capture_on_commit_callbacks: Any) -> None:
    draft = services.start_draft(survey)
    replaced = upload(draft, evidence, "first.pdf")
    kept = upload(draft, evidence, "second.pdf")  # the person chose another file: the first is referred to no more
    submitted = services.start_draft(survey)
    answered = upload(submitted, evidence, "sent.pdf")
    first = survey.current_version.pages.get(title="Your views")
    services.save_page(submitted, first, {"safe": "agree", "priorities": ["asb"]})
    response = services.submit(submitted)
    ownerless = UploadedFile.objects.create(question_key="evidence", original_name="x.pdf", content_type="pdf",
                                            size=3, file=ContentFile(b"%PDF", name="x.pdf"))
    old_stray = default_storage.save("surveys/uploads/2020/01/stray.pdf", ContentFile(b"%PDF"))
    new_stray = default_storage.save("surveys/uploads/2020/01/new.pdf", ContentFile(b"%PDF"))
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(default_storage.path(old_stray), (two_days_ago, two_days_ago))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.sweep_unreferenced_files() == 3
    assert not on_disk(replaced) and not on_disk(ownerless) and not default_storage.exists(old_stray)
    assert on_disk(kept) and default_storage.exists(new_stray)  # too young to be sure it is a stray
    answered.refresh_from_db()
    assert answered.response == response and on_disk(answered)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.sweep_unreferenced_files() == 0  # safe to repeat


def test_a_rolled_back_deletion_keeps_the_files(survey: Any, evidence: Any) -> None:
    draft = services.start_draft(survey)
    stored = upload(draft, evidence)
    Draft.objects.filter(pk=draft.pk).update(updated_on=timezone.localdate() - timedelta(days=91))
    _expire_drafts(timezone.now() - timedelta(days=90))  # the test's transaction never commits
    assert on_disk(stored)

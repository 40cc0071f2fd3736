"""Reuse the surveys fixtures (an engagement officer and a questionnaire)."""

from tests.surveys.conftest import officer, survey  # noqa: F401

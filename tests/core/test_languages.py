from __future__ import annotations

import pytest


@pytest.mark.parametrize(("language", "skip_link"), [
    ("en-gb", "Skip to main content"),
    ("cy", "prif gynnwys"),
    ("gd", "Leum gun phrìomh shusbaint"),
])
def test_pages_speak_welsh_and_gaelic(db, client, language, skip_link):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE=language)
    html = response.content.decode()
    assert f'<html lang="{language}"' in html
    assert skip_link in html

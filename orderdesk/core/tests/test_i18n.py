"""The interface is Ukrainian by default and English on request; the catalogue is complete."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import translation

LOCALE = Path(django_settings.BASE_DIR) / "locale" / "uk" / "LC_MESSAGES"


@pytest.fixture
def ukrainian(settings):
    settings.LANGUAGE_CODE = "uk"
    with translation.override("uk"):
        yield


def test_pages_are_ukrainian_by_default(ukrainian, client, manager):
    client.force_login(manager)
    html = client.get(reverse("orders:list")).content.decode()
    assert 'lang="uk"' in html
    assert "Замовлення" in html


def test_english_is_one_switch_away(ukrainian, client, manager):
    client.force_login(manager)
    client.post(reverse("set_language"), {"language": "en", "next": "/orders/"})
    html = client.get(reverse("orders:list")).content.decode()
    assert 'lang="en"' in html
    assert "Orders" in html


def test_every_message_has_a_ukrainian_translation():
    po = (LOCALE / "django.po").read_text(encoding="utf-8")
    entries = po.split("\n\n")[1:]
    untranslated = [
        e.split("\n")[-2:]
        for e in entries
        if not e.startswith("#~")
        and (e.rstrip().split("\n")[-1] == 'msgstr ""' and "msgid_plural" not in e)
    ]
    assert not untranslated, f"{len(untranslated)} untranslated, e.g. {untranslated[:3]}"
    fuzzy = [e for e in entries if "#, fuzzy" in e]
    assert not fuzzy, f"{len(fuzzy)} fuzzy entries"

"""The reports speak Ukrainian by default: the app's catalogue is complete and used."""

from __future__ import annotations

from pathlib import Path

from django.utils import translation

PO = Path(__file__).resolve().parent.parent / "locale" / "uk" / "LC_MESSAGES" / "django.po"


def test_every_report_message_has_a_ukrainian_translation():
    from babel.messages.pofile import read_po

    with PO.open("rb") as handle:
        catalog = read_po(handle)
    untranslated = [m.id for m in catalog if m.id and not m.string]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not untranslated and not fuzzy, (untranslated[:5], fuzzy[:5])


def test_the_reports_page_is_ukrainian_by_default(settings, client, manager):
    settings.LANGUAGE_CODE = "uk"
    client.force_login(manager)
    with translation.override("uk"):
        html = client.get("/reports/").content.decode()
        page = client.get("/reports/order-states/").content.decode()
    assert "Звіти" in html and "Замовлення в роботі" in html
    assert "Стани замовлень" in page and "Групувати за" in page and "Order states" not in page

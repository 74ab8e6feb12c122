"""A page that sends the user back to a `next` address sends them only to this site."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import Client

pytestmark = pytest.mark.django_db

OFF_SITE = ["//evil.example/", "/\\evil.example/", "https://evil.example/", "javascript:alert(1)"]


@pytest.mark.parametrize("target", OFF_SITE)
def test_undoing_an_allocation_never_redirects_off_site(world, target):
    client = Client()
    client.force_login(world.actor("accountant"))
    allocation = world.books["manager"]["allocation"]
    with transaction.atomic():
        response = client.post(f"/billing/allocations/{allocation.pk}/cancel/", {"next": target})
        transaction.set_rollback(True)
    assert response.status_code == 302
    assert response.headers["Location"] == "/billing/payments/"


def test_undoing_an_allocation_returns_to_a_page_of_the_site(world):
    client = Client()
    client.force_login(world.actor("accountant"))
    allocation = world.books["manager"]["allocation"]
    back = f"/billing/payments/{world.books['manager']['payment'].pk}/"
    with transaction.atomic():
        response = client.post(f"/billing/allocations/{allocation.pk}/cancel/", {"next": back})
        transaction.set_rollback(True)
    assert response.headers["Location"] == back

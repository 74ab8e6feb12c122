"""The test set-up puts back the seeded rows (currencies, role groups ...) that a committed
test's flush emptied, also from inside a test's transaction on SQLite."""

import pytest
from django.contrib.auth.models import Group

from orderdesk.testing.seed import is_seeded, reseed


@pytest.mark.django_db
def test_the_seeded_rows_come_back_inside_a_transaction():
    Group.objects.filter(name="administrator").delete()
    assert not is_seeded()
    reseed()
    assert is_seeded()
    assert Group.objects.filter(name="administrator").count() == 1

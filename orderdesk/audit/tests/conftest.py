import pytest
from django.contrib.auth.models import User

from orderdesk.core.models import NumberSeries


@pytest.fixture
def subject(db):
    """Any model row will do as the thing the history is about."""
    return NumberSeries.objects.create(key="audit-test", year=2026)


@pytest.fixture
def clerk(db):
    return User.objects.create_user("clerk", first_name="Олена", last_name="Коваль")

from django.conf import settings

from .navigation import menu_for
from .roles import Role, roles_of


def navigation(request):
    user = getattr(request, "user", None)
    return {
        "nav_items": menu_for(request) if user and user.is_authenticated else [],
        "user_roles": roles_of(user),
        "Role": Role,
        "BASE_CURRENCY": settings.ORDERDESK["BASE_CURRENCY"],
    }

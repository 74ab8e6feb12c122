"""Log-in throttling and API rate limits.

Guessing passwords: after `LOGIN_FAILURE_LIMIT` failed log-ins for one user name from one
address within `LOGIN_FAILURE_WINDOW` seconds, further attempts for that pair are refused
without checking the password until the oldest failure of the window has aged out.

The refusal lives in the authentication backend (`ThrottledModelBackend`), so every way in
obeys it — the log-in page, the admin's log-in, any later API log-in; the log-in page
(`ThrottledLoginView`) also tells the person why, with status 429 and the minutes left.

Counters are kept in Django's cache under a hash of (user name, address). The default cache is
per process: with several application processes an attacker gets the limit once per process,
so production should point CACHES at a shared cache (see docs/security.md).
"""

from __future__ import annotations

import hashlib
import logging
import math
import time

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.views import LoginView
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.utils.translation import ngettext
from rest_framework import throttling
from rest_framework.authentication import TokenAuthentication

log = logging.getLogger("orderdesk.security")

DEFAULT_LIMIT = 5
DEFAULT_WINDOW = 15 * 60


def _limit() -> int:
    return int(settings.ORDERDESK.get("LOGIN_FAILURE_LIMIT", DEFAULT_LIMIT))


def _window() -> int:
    return int(settings.ORDERDESK.get("LOGIN_FAILURE_WINDOW", DEFAULT_WINDOW))


def client_address(request) -> str:
    """The client's address: REMOTE_ADDR, or the header a trusted proxy sets (configured in
    ORDERDESK["CLIENT_IP_HEADER"], e.g. HTTP_X_REAL_IP) when the app runs behind one."""
    header = settings.ORDERDESK.get("CLIENT_IP_HEADER") or ""
    value = request.META.get(header, "") if header else ""
    return value.split(",")[0].strip() or request.META.get("REMOTE_ADDR", "") or "unknown"


def _key(request, username: str) -> str:
    digest = hashlib.sha256(f"{username.strip().lower()}|{client_address(request)}".encode())
    return f"orderdesk:login-failures:{digest.hexdigest()}"


def _recent_failures(key: str, now: float) -> list[float]:
    return [t for t in cache.get(key, []) if t > now - _window()]


def seconds_locked(request, username: str | None) -> int:
    """Seconds until (user name, address) may try again; 0 when it may now."""
    if request is None or not username:
        return 0
    now = time.time()
    failures = _recent_failures(_key(request, username), now)
    if len(failures) < _limit():
        return 0
    # allowed again once fewer than `limit` failures remain inside the window
    return max(1, math.ceil(failures[-_limit()] + _window() - now))


def record_failure(request, username: str | None) -> None:
    if request is None or not username:
        return
    now = time.time()
    key = _key(request, username)
    failures = [*_recent_failures(key, now), now]
    cache.set(key, failures[-_limit() :], _window())
    if len(failures) >= _limit():
        log.warning(
            "log-in locked after %s failures: user %r from %s",
            len(failures),
            username,
            client_address(request),
        )


def reset_failures(request, username: str | None) -> None:
    if request is not None and username:
        cache.delete(_key(request, username))


class ThrottledModelBackend(ModelBackend):
    """Django's user/password check, refusing (user name, address) pairs that failed too often.

    Raising PermissionDenied stops `authenticate()` from trying any further backend.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(self._username_field())
        if seconds_locked(request, username):
            raise PermissionDenied("login_throttled")
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            record_failure(request, username)
        else:
            reset_failures(request, username)
        return user

    def get_user(self, user_id):
        """The signed-in user of a request (session), with its roles in the same statement
        (`roles.role_names`): the pages' role checks read nothing more."""
        from django.contrib.auth import get_user_model

        from .roles import prime_roles, role_names

        try:
            user = (
                get_user_model()._default_manager.annotate(_role_names=role_names()).get(pk=user_id)
            )
        except get_user_model().DoesNotExist:
            return None
        prime_roles(user, user._role_names)
        return user if self.user_can_authenticate(user) else None

    @staticmethod
    def _username_field() -> str:
        from django.contrib.auth import get_user_model

        return get_user_model().USERNAME_FIELD


def throttled_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return ngettext(
        "Too many failed log-ins for this user name from your address. Try again in %(n)d minute.",
        "Too many failed log-ins for this user name from your address. Try again in %(n)d minutes.",
        minutes,
    ) % {"n": minutes}


class ThrottledLoginView(LoginView):
    """The log-in page; a locked (user name, address) is told so with status 429."""

    def post(self, request, *args, **kwargs):
        username = request.POST.get("username", "")
        seconds = seconds_locked(request, username)
        if seconds:
            form = self.get_form()
            context = self.get_context_data(form=form, throttled=throttled_message(seconds))
            return self.render_to_response(context, status=429)
        return super().post(request, *args, **kwargs)


# --- API authentication -----------------------------------------------------------------------


class TokenWithRoles(TokenAuthentication):
    """DRF's token authentication, reading the user's roles in the token's statement
    (`roles.role_names`): a request costs one statement less. An unknown token or an inactive
    user is refused by DRF's own check (same answers, same messages)."""

    def authenticate_credentials(self, key):
        from .roles import prime_roles, role_names

        token = (
            self.get_model()
            .objects.select_related("user")
            .annotate(_role_names=role_names("user_id"))
            .filter(key=key)
            .first()
        )
        if token is None or not token.user.is_active:
            return super().authenticate_credentials(key)
        prime_roles(token.user, token._role_names)
        return (token.user, token)


# --- API rate limits --------------------------------------------------------------------------


class ApiUserRateThrottle(throttling.UserRateThrottle):
    """Requests per signed-in user (per anonymous address for the few public endpoints), at
    ORDERDESK["API_RATE_USER"] like "3000/minute"; empty turns the limit off."""

    def get_rate(self):
        return settings.ORDERDESK.get("API_RATE_USER") or None


class ApiAnonRateThrottle(throttling.AnonRateThrottle):
    """Requests per address without credentials, at ORDERDESK["API_RATE_ANON"]."""

    def get_rate(self):
        return settings.ORDERDESK.get("API_RATE_ANON") or None

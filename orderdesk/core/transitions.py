"""State machines as data.

An app declares `TRANSITIONS = {(from_state, action): to_state, ...}` beside its choices;
`transition_target()` is the one place that enforces it.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext as _

from .errors import Conflict

Table = Mapping[tuple[str, str], str]


def transition_target(table: Table, current: str, action: str, *, what: str = "record") -> str:
    """Return the state `action` leads to from `current`, or raise `invalid_transition`."""
    try:
        return table[(current, action)]
    except KeyError:
        raise Conflict(
            _("Cannot %(action)s a %(what)s in state “%(state)s”.")
            % {"action": action, "what": what, "state": current},
            code="invalid_transition",
            params={"from": current, "action": action},
        ) from None


def actions_from(table: Table, current: str) -> list[str]:
    return sorted(action for (state, action) in table if state == current)

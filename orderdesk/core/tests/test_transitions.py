"""The one helper that enforces a declared transitions table."""

import pytest

from orderdesk.core.errors import Conflict
from orderdesk.core.transitions import actions_from, transition_target

TABLE = {
    ("draft", "confirm"): "confirmed",
    ("draft", "cancel"): "cancelled",
    ("confirmed", "cancel"): "cancelled",
    ("confirmed", "close"): "closed",
}
STATES = ["draft", "confirmed", "cancelled", "closed"]
ACTIONS = ["confirm", "cancel", "close", "reopen"]


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", ACTIONS)
def test_transition_target_allows_exactly_the_declared_moves(state, action):
    if (state, action) in TABLE:
        assert transition_target(TABLE, state, action) == TABLE[(state, action)]
    else:
        with pytest.raises(Conflict) as refused:
            transition_target(TABLE, state, action, what="order")
        assert refused.value.code == "invalid_transition"
        assert refused.value.status == 409
        assert refused.value.params == {"from": state, "action": action}
        assert state in refused.value.detail


def test_actions_from_lists_the_moves_of_a_state_sorted():
    assert actions_from(TABLE, "draft") == ["cancel", "confirm"]
    assert actions_from(TABLE, "confirmed") == ["cancel", "close"]
    assert actions_from(TABLE, "closed") == []

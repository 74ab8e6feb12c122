"""Order services: every write to an order goes through these functions."""

from ._common import LineInput
from .approval_flow import order_decide, order_return_to_draft, order_submit, submit_preview
from .closing import order_close_automatic
from .credit_flow import order_release
from .entry import (
    order_create,
    order_line_add,
    order_line_remove,
    order_line_update,
    order_update,
)
from .lifecycle import order_amend, order_cancel, order_close, order_confirm
from .line_cancel import order_line_cancel
from .rights import term_rights_matrix, term_rights_set
from .templates import (
    order_copy,
    order_create_from_template,
    template_delete,
    template_from_order,
    template_get,
    template_save,
    template_scope,
)

__all__ = [
    "LineInput",
    "order_amend",
    "order_cancel",
    "order_close",
    "order_close_automatic",
    "order_confirm",
    "order_copy",
    "order_create",
    "order_create_from_template",
    "order_decide",
    "order_line_add",
    "order_line_cancel",
    "order_line_remove",
    "order_line_update",
    "order_release",
    "order_return_to_draft",
    "order_submit",
    "order_update",
    "submit_preview",
    "template_delete",
    "template_from_order",
    "template_get",
    "template_save",
    "template_scope",
    "term_rights_matrix",
    "term_rights_set",
]

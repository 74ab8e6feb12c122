"""The order pages (server-rendered, htmx for the parts that change in place)."""

from .amend import order_amend
from .card import (
    line_add,
    line_remove,
    line_schedule,
    line_update,
    order_cancel,
    order_close,
    order_confirm,
    order_copy,
    order_detail,
    order_header,
    order_override_request,
    order_return,
    order_save_template,
    order_submit,
    order_submit_preview,
)
from .deviations import order_deviations
from .entry import create_terms, customer_options, line_row, order_create, product_options
from .listing import OrderListView
from .order_templates import template_delete, template_list, template_use
from .term_rights import term_rights

__all__ = [
    "OrderListView",
    "create_terms",
    "customer_options",
    "line_add",
    "line_remove",
    "line_row",
    "line_schedule",
    "line_update",
    "order_amend",
    "order_cancel",
    "order_close",
    "order_confirm",
    "order_copy",
    "order_create",
    "order_detail",
    "order_deviations",
    "order_header",
    "order_override_request",
    "order_return",
    "order_save_template",
    "order_submit",
    "order_submit_preview",
    "product_options",
    "template_delete",
    "template_list",
    "template_use",
    "term_rights",
]

"""Customer and trade-terms writes (see each module): customers and contacts, reference data
and payment terms. Every write validates, locks its stream root, changes and records history."""

from .checks import require_admin
from .customers import (
    CONTACT_FIELDS,
    CUSTOMER_FIELDS,
    contact_add,
    contact_remove,
    contact_update,
    customer_create,
    customer_update,
)
from .terms import (
    InstalmentInput,
    customer_group_create,
    customer_group_update,
    delivery_method_create,
    delivery_method_update,
    payment_method_create,
    payment_method_update,
    payment_terms_create,
    payment_terms_update,
)

__all__ = [
    "CONTACT_FIELDS",
    "CUSTOMER_FIELDS",
    "InstalmentInput",
    "contact_add",
    "contact_remove",
    "contact_update",
    "customer_create",
    "customer_group_create",
    "customer_group_update",
    "customer_update",
    "delivery_method_create",
    "delivery_method_update",
    "payment_method_create",
    "payment_method_update",
    "payment_terms_create",
    "payment_terms_update",
    "require_admin",
]

"""Billing services: every write to documents, payments and allocations goes through these."""

from .documents import (
    cash_receipt_create,
    credit_note_create,
    delivery_note_create,
    document_delete,
    document_post,
    document_reverse,
    document_update,
    invoice_create,
    invoice_create_prepayment,
)
from .payments import (
    allocation_cancel,
    allocation_create,
    payment_create,
    payment_reverse,
)
from .shipments import (
    ShipmentDocuments,
    credit_note_for_cancellation,
    credit_note_for_return,
    documents_for_confirmation,
    documents_for_shipment,
    shipment_record,
)
from .state import order_payment_refresh, order_payment_state, order_schedule
from .statement import statement_check, statement_import

__all__ = [
    "ShipmentDocuments",
    "allocation_cancel",
    "allocation_create",
    "cash_receipt_create",
    "credit_note_create",
    "credit_note_for_cancellation",
    "credit_note_for_return",
    "delivery_note_create",
    "document_delete",
    "document_post",
    "document_reverse",
    "document_update",
    "documents_for_confirmation",
    "documents_for_shipment",
    "invoice_create",
    "invoice_create_prepayment",
    "order_payment_refresh",
    "order_payment_state",
    "order_schedule",
    "payment_create",
    "payment_reverse",
    "shipment_record",
    "statement_check",
    "statement_import",
]

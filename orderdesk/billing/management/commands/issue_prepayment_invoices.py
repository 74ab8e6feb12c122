"""Issue the policy's prepayment invoices for confirmed orders that have none yet.

Until the orders app calls billing when an order is confirmed, this catches them up.
"""

from django.core.management.base import BaseCommand

from orderdesk.billing.models import Invoice
from orderdesk.billing.services import documents_for_confirmation
from orderdesk.billing.services.state import needs_prepayment
from orderdesk.orders.choices import OrderStatus
from orderdesk.orders.models import Order


class Command(BaseCommand):
    help = "Issue prepayment invoices for confirmed orders whose terms need prepayment."

    def handle(self, *args, **options):
        invoiced = Invoice.objects.values_list("order_id", flat=True)
        orders = (
            Order.objects.filter(status=OrderStatus.CONFIRMED)
            .exclude(pk__in=invoiced)
            .select_related("payment_terms")
            .prefetch_related("payment_terms__instalments")
        )
        issued = 0
        for order in orders.iterator(chunk_size=200):
            if needs_prepayment(order) and documents_for_confirmation(by=None, order=order.pk):
                issued += 1
        self.stdout.write(f"{issued} prepayment invoices issued.")

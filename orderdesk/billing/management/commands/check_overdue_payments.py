"""Recompute the payment state of orders whose instalments fell due (run daily)."""

from django.core.management.base import BaseCommand
from django.db.models import Q
from django.utils import timezone

from orderdesk.billing.services import order_payment_refresh, order_payment_state
from orderdesk.orders.choices import PaymentStatus
from orderdesk.orders.models import Order
from orderdesk.receivables.models import OpenItem, Side


class Command(BaseCommand):
    help = "Mark orders overdue (or no longer overdue) as the ledger says today."

    def handle(self, *args, **options):
        today = timezone.localdate()
        due = OpenItem.objects.filter(
            side=Side.DEBIT, open_amount__gt=0, due_date__lt=today, order_id__isnull=False
        ).values_list("order_id", flat=True)
        orders = Order.objects.filter(Q(pk__in=due) | Q(payment_status=PaymentStatus.OVERDUE))
        changed = 0
        for order in orders.order_by("pk").iterator():
            if order_payment_state(order, on=today) != order.payment_status:
                order_payment_refresh(by=None, order=order.pk, reason="check_overdue_payments")
                changed += 1
        self.stdout.write(f"{changed} orders changed their payment state.")

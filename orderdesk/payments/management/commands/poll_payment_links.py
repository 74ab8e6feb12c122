"""orderdesk poll_payment_links: ask the payment services about links still waiting (the
fallback for lost webhooks); run it from cron every few minutes."""

from django.core.management.base import BaseCommand

from orderdesk.payments.services import poll_payment_links


class Command(BaseCommand):
    help = "Poll LiqPay, monobank and Stripe for the state of payment links still waiting."

    def add_arguments(self, parser):
        parser.add_argument("--provider", choices=["liqpay", "monobank", "stripe"])
        parser.add_argument("--limit", type=int, default=200)

    def handle(self, *args, provider=None, limit=200, **options):
        result = poll_payment_links(provider=provider, limit=limit)
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(result.outcomes.items())) or "-"
        self.stdout.write(
            f"polled {result.polled}, resumed {result.resumed}, expired {result.expired}; "
            f"events: {outcomes}"
        )
        for error in result.errors:
            self.stderr.write(f"error: {error}")

import time
from io import StringIO

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from orderdesk.demo import data
from orderdesk.demo.loader import database_has_data, load_demo
from orderdesk.demo.world import FULL, SMALL


class Command(BaseCommand):
    help = (
        "Load the demo dataset: a Ukrainian building-materials distributor with users for every "
        "role, 270+ products, 36 customers with contracts and credit limits, approval rules, and "
        "320 orders of the last six months carried quote to cash (approvals, credit holds, "
        "shipments, invoices, payments)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing (and succeed) when the database already holds customers, products "
            "or orders",
        )
        parser.add_argument(
            "--small",
            action="store_true",
            help="10 customers and 40 orders (still every order state and step): for tests",
        )
        parser.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")

    def handle(self, *args, **options):
        if database_has_data():
            if options["if_empty"]:
                self.stdout.write("The database already holds data: demo data not loaded.")
                return
            raise CommandError(
                "The database already holds customers, products or orders; the demo loads into "
                "an empty database only (use --if-empty to skip quietly)."
            )
        started = time.monotonic()
        summary = load_demo(seed=options["seed"], profile=SMALL if options["small"] else FULL)
        # the dashboards read a summary table: bring it up to date as cron would (by the
        # command's name: reports is not an app the demo imports)
        call_command("refresh_summaries", stdout=StringIO())
        elapsed = time.monotonic() - started
        out = self.stdout
        out.write(self.style.SUCCESS(f"Demo data loaded in {elapsed:.1f} s:"))
        for name, count in summary.counts.items():
            out.write(f"  {name:<20} {count:>6}")
        out.write(
            "  orders by status:  " + ", ".join(f"{k} {v}" for k, v in summary.statuses.items())
        )
        out.write(
            "  orders that were:  " + ", ".join(f"{k} {v}" for k, v in summary.orders.items())
        )
        out.write("")
        out.write(f"Demo logins (password for every user: {data.PASSWORD}):")
        for username, role, hint in summary.logins:
            note = (
                "  (existing user: password unchanged)"
                if username in summary.kept_passwords
                else ""
            )
            out.write(f"  {username:<11} {role:<18} {hint}{note}")

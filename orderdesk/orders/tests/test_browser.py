"""A person in a real browser: log in and create an order (headless Debian Chromium)."""

from __future__ import annotations

import os
import shutil
from decimal import Decimal

import pytest

from orderdesk.orders.models import Order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def page(live_server):
    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # around it are synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        context = browser.new_context(locale="uk-UA", viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
        context.close()
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def test_a_manager_logs_in_and_creates_an_order(
    page, live_server, keep_seed_data, manager, customer, contract, product
):
    # given the manager on the login page
    page.goto(f"{live_server.url}/login/?next=/orders/new/")
    page.fill("input[name=username]", manager.username)
    page.fill("input[name=password]", "demo12345")
    page.click("form button[type=submit]")
    page.wait_for_url("**/orders/new/")

    # when they choose their customer: the contract's terms fill in
    page.select_option("#id_customer", str(customer.pk))
    page.locator("#order-terms").get_by_text(contract.number).first.wait_for(state="attached")

    # and enter one line: the product by its SKU, quantity 3
    if page.locator("tr.line-row").count() == 0:
        page.click("button[hx-get$='line-row/'], .editor-foot button")
    row = page.locator("tr.line-row").first
    row.locator("input[type=search]").fill(product.sku)
    row.locator(f"select option[value='{product.pk}']").wait_for(state="attached")
    row.locator("select").select_option(str(product.pk))
    row.locator("input[aria-label]").nth(1).fill("3")
    page.click("#order-form button[type=submit]")

    # then the order card opens with the order saved on the contract's terms
    page.wait_for_url("**/orders/*/")
    order = Order.objects.get()
    assert order.number in page.content()
    assert order.contract == contract
    assert order.payment_terms == contract.payment_terms
    line = order.lines.get()
    assert (line.product, line.quantity, line.unit_price) == (product, Decimal("3"), Decimal("100"))
    assert order.gross_amount == Decimal("360.00")
    page.screenshot(path=os.environ.get("ORDERDESK_SCREENSHOT", "/tmp/orderdesk-order-card.png"))

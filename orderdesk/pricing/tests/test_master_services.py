"""Contract, price list and price services: one default per customer, validity, overlaps."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from orderdesk.audit.models import Event
from orderdesk.audit.selectors import verify_chain
from orderdesk.audit.services import stream_of
from orderdesk.core.errors import PermissionRefused, ValidationFailed
from orderdesk.customers.models import PaymentMethod, PaymentTerms
from orderdesk.pricing import services
from orderdesk.pricing.models import Contract, PriceList, PriceListItem
from orderdesk.testing.factories import (
    ContractFactory,
    CustomerGroupFactory,
    PriceListFactory,
    ProductFactory,
    SalesTeamFactory,
)

pytestmark = pytest.mark.django_db
D = dt.date


def add_contract(by, customer, **kw):
    values = {
        "number": "1/2026",
        "date": D(2026, 1, 10),
        "payment_terms": PaymentTerms.objects.get(code="net30"),
        "payment_method": PaymentMethod.objects.get(code="bank"),
        **kw,
    }
    return services.contract_create(by=by, customer=customer, **values)


# --- contracts ------------------------------------------------------------------------------


def test_the_first_contract_becomes_the_default_and_is_in_the_customers_history(
    admin_user, customer, price_list
):
    contract = add_contract(admin_user, customer, price_list=price_list, currency="usd")

    assert contract.is_default
    assert contract.currency_id == "USD"
    assert contract.valid_from == D(2026, 1, 10)
    event = Event.objects.get(stream=stream_of(customer))
    assert event.action == "pricing.contract.created"
    assert event.changes["price_list"] == {"from": None, "to": "Wholesale"}


def test_a_new_default_contract_unsets_the_old_one_in_the_same_call(admin_user, contract):
    customer = contract.customer

    new = add_contract(admin_user, customer, number="2/2026", is_default=True)

    contract.refresh_from_db()
    assert new.is_default and not contract.is_default
    assert Contract.objects.filter(customer=customer, is_default=True).count() == 1
    events = Event.objects.filter(stream=stream_of(customer)).order_by("seq")
    assert [(e.action, e.object_id) for e in events] == [
        ("pricing.contract.created", str(new.pk)),
        ("pricing.contract.changed", str(contract.pk)),
    ]
    assert verify_chain([stream_of(customer)])[1] is None


def test_making_an_existing_contract_default_moves_the_default(admin_user, contract):
    other = add_contract(admin_user, contract.customer, number="2/2026", is_default=False)

    services.contract_update(by=admin_user, contract=other, is_default=True)

    contract.refresh_from_db()
    other.refresh_from_db()
    assert (contract.is_default, other.is_default) == (False, True)


def test_a_second_contract_is_not_default_unless_asked(admin_user, contract):
    other = add_contract(admin_user, contract.customer, number="2/2026")

    assert not other.is_default


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"valid_from": D(2026, 2, 1), "valid_to": D(2026, 1, 31)}, "contract_period_invalid"),
        ({"max_manual_discount": Decimal("100.01")}, "max_discount_out_of_range"),
        ({"max_manual_discount": Decimal("-1")}, "max_discount_out_of_range"),
        ({"currency": "XYZ"}, "currency_unknown"),
        ({"number": "15/2026"}, "contract_number_taken"),
        ({"number": "  "}, "number_required"),
        ({"active": False, "is_default": True}, "contract_default_inactive"),
    ],
)
def test_contract_create_refuses_bad_terms_and_saves_nothing(admin_user, contract, changes, code):
    before = Contract.objects.count()

    with pytest.raises(ValidationFailed) as err:
        add_contract(admin_user, contract.customer, **{"number": "9/2026", **changes})

    assert err.value.code == code
    assert Contract.objects.count() == before
    contract.refresh_from_db()
    assert contract.is_default
    assert not Event.objects.exists()


def test_contract_refuses_an_inactive_currency_and_an_inactive_price_list(admin_user, customer):
    from orderdesk.core.models import Currency

    Currency.objects.filter(code="PLN").update(active=False)
    with pytest.raises(ValidationFailed) as err:
        add_contract(admin_user, customer, currency="PLN")
    assert err.value.code == "currency_unknown"
    old = PriceListFactory(active=False)
    with pytest.raises(ValidationFailed) as err:
        add_contract(admin_user, customer, price_list=old)
    assert err.value.code == "price_list_inactive"


def test_contract_update_records_before_and_after(admin_user, contract):
    services.contract_update(by=admin_user, contract=contract, max_manual_discount=Decimal("12.5"))

    event = Event.objects.get(stream=stream_of(contract.customer))
    assert event.changes == {"max_manual_discount": {"from": "10", "to": "12.5"}}


def test_contract_update_refuses_a_reversed_period_and_keeps_the_old(admin_user, contract):
    with pytest.raises(ValidationFailed) as err:
        services.contract_update(by=admin_user, contract=contract, valid_to=D(2019, 1, 1))

    assert err.value.code == "contract_period_invalid"
    contract.refresh_from_db()
    assert contract.valid_to is None


def test_head_changes_contracts_of_the_team_but_a_manager_does_not(head, manager, contract):
    with pytest.raises(PermissionRefused) as err:
        services.contract_update(by=head, contract=contract, delivery_terms="DAP")
    assert err.value.code == "contract_edit_forbidden"

    SalesTeamFactory(head=head).members.add(manager)
    head = type(head).objects.get(pk=head.pk)  # rights are cached per request on the user
    services.contract_update(by=head, contract=contract, delivery_terms="DAP")
    contract.refresh_from_db()
    assert contract.delivery_terms == "DAP"

    with pytest.raises(PermissionRefused) as err:
        add_contract(manager, contract.customer, number="3/2026")
    assert err.value.code == "contract_edit_forbidden"


# --- price lists and prices -----------------------------------------------------------------


def test_price_list_create_and_update_record_history(admin_user):
    group = CustomerGroupFactory(code="WHS")
    pl = services.price_list_create(
        by=admin_user, code="RET", name="Роздріб", currency="UAH", customer_groups=[group]
    )
    services.price_list_update(by=admin_user, price_list=pl, prices_include_vat=True)

    changes = [e.changes for e in Event.objects.filter(stream=stream_of(pl)).order_by("seq")]
    assert changes[0]["customer_groups"] == {"from": None, "to": ["WHS"]}
    assert changes[1] == {"prices_include_vat": {"from": False, "to": True}}


def test_price_list_refusals(admin_user, manager, price_list):
    with pytest.raises(ValidationFailed) as err:
        services.price_list_create(by=admin_user, code="WHOLESALE", name="Dup", currency="UAH")
    assert err.value.code == "code_taken"
    with pytest.raises(ValidationFailed) as err:
        services.price_list_create(by=admin_user, code="NEW", name="New", currency="ABC")
    assert err.value.code == "currency_unknown"
    with pytest.raises(PermissionRefused) as err:
        services.price_list_update(by=manager, price_list=price_list, name="Mine")
    assert err.value.code == "master_data_forbidden"
    assert PriceList.objects.count() == 1


def test_a_price_is_added_to_the_lists_history(admin_user, price_list, product):
    item = services.price_item_add(
        by=admin_user,
        price_list=price_list,
        product=product,
        price=Decimal("95.5"),
        min_quantity=Decimal("10"),
        valid_from=D(2026, 1, 1),
    )

    event = Event.objects.get(stream=stream_of(price_list))
    assert (event.action, event.object_id) == ("pricing.price.added", str(item.pk))
    assert event.changes["price"] == {"from": None, "to": "95.5"}


def test_a_negative_price_is_refused(admin_user, price_list, product):
    with pytest.raises(ValidationFailed) as err:
        services.price_item_add(
            by=admin_user,
            price_list=price_list,
            product=product,
            price=Decimal("-0.01"),
            valid_from=D(2027, 1, 1),
        )

    assert err.value.code == "price_negative"
    assert PriceListItem.objects.count() == 1


def test_an_overlapping_price_for_the_same_product_and_break_is_refused(
    admin_user, price_list, product
):
    # the fixture's price runs from 2020-01-01 without an end
    with pytest.raises(ValidationFailed) as err:
        services.price_item_add(
            by=admin_user,
            price_list=price_list,
            product=product,
            price=Decimal("110"),
            valid_from=D(2026, 3, 1),
        )

    assert err.value.code == "price_period_overlap"
    assert PriceListItem.objects.count() == 1
    assert not Event.objects.exists()


def test_ending_the_old_price_makes_room_for_the_new_one(admin_user, price_list, product):
    old = PriceListItem.objects.get(price_list=price_list, product=product)

    services.price_item_update(by=admin_user, item=old, valid_to=D(2026, 2, 28))
    new = services.price_item_add(
        by=admin_user,
        price_list=price_list,
        product=product,
        price=Decimal("110"),
        valid_from=D(2026, 3, 1),
    )

    assert new.pk
    with pytest.raises(ValidationFailed) as err:
        services.price_item_update(by=admin_user, item=old, valid_to=D(2026, 3, 1))
    assert err.value.code == "price_period_overlap"


def test_other_breaks_other_lists_and_other_products_do_not_overlap(
    admin_user, price_list, product
):
    kw = {"by": admin_user, "price": Decimal("90"), "valid_from": D(2026, 1, 1)}
    services.price_item_add(price_list=price_list, product=product, min_quantity=Decimal(10), **kw)
    services.price_item_add(price_list=PriceListFactory(), product=product, **kw)
    services.price_item_add(price_list=price_list, product=ProductFactory(), **kw)

    assert PriceListItem.objects.count() == 4


def test_price_item_refuses_a_reversed_period_and_a_negative_break(admin_user, price_list):
    product = ProductFactory()
    base = {"by": admin_user, "price_list": price_list, "product": product, "price": Decimal(1)}
    with pytest.raises(ValidationFailed) as err:
        services.price_item_add(valid_from=D(2026, 2, 1), valid_to=D(2026, 1, 1), **base)
    assert err.value.code == "price_period_invalid"
    with pytest.raises(ValidationFailed) as err:
        services.price_item_add(valid_from=D(2026, 2, 1), min_quantity=Decimal(-1), **base)
    assert err.value.code == "min_quantity_negative"


def test_price_item_remove_keeps_the_price_in_history(admin_user, price_list, product):
    item = PriceListItem.objects.get(price_list=price_list, product=product)

    services.price_item_remove(by=admin_user, item=item)

    assert not PriceListItem.objects.exists()
    event = Event.objects.get(stream=stream_of(price_list))
    assert event.action == "pricing.price.removed"
    assert event.changes["price"] == {"from": "100", "to": None}


def test_prices_are_the_administrators(manager, price_list, product):
    item = PriceListItem.objects.get(price_list=price_list, product=product)
    with pytest.raises(PermissionRefused) as err:
        services.price_item_update(by=manager, item=item, price=Decimal(1))

    assert err.value.code == "master_data_forbidden"


def test_an_old_contract_from_the_factory_still_counts_as_the_default(admin_user, customer):
    ContractFactory(customer=customer, number="A")

    second = add_contract(admin_user, customer, number="B")

    assert not second.is_default

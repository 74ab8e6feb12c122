"""Who sees and changes which orders: scope by role, the rights matrix on terms."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group, User

from orderdesk.core.errors import DomainError
from orderdesk.customers.models import Customer
from orderdesk.orders.choices import FulfillmentStatus
from orderdesk.orders.models import Order
from orderdesk.orders.permissions import (
    allowed_terms,
    can_manage_templates,
    can_view_order,
    customer_scope,
    order_scope,
)
from orderdesk.orders.selectors import order_get_for, order_list_for
from orderdesk.orders.services import LineInput, order_confirm, order_create, order_update
from orderdesk.testing.factories import (
    ContractFactory,
    CustomerFactory,
    SalesTeamFactory,
    UserFactory,
)

ALL_TERMS = {
    "price",
    "discount",
    "payment_terms",
    "payment_method",
    "currency",
    "delivery_terms",
    "manager",
}


@pytest.fixture
def world(manager, other_manager, head, admin_user, customer, contract, product, price_list):
    """Three managers with a customer each; the head leads a team with `manager` in it.

    Orders: Альфа's draft (manager), Бета's confirmed order (other_manager), and Гамма's
    confirmed order released to the warehouse plus a draft (outsider, in no team).
    """
    team = SalesTeamFactory(name="Київ", head=head)
    team.members.add(manager)
    outsider = UserFactory(username="outsider", roles=["sales_manager"])
    beta = CustomerFactory(short_name="Бета", manager=other_manager)
    gamma = CustomerFactory(short_name="Гамма", manager=outsider)
    for c in (beta, gamma):
        ContractFactory(customer=c, price_list=price_list)

    def new(by, client):
        return order_create(by=by, customer=client, lines=[LineInput(product.pk, "1")])

    alpha_draft = new(manager, customer)
    beta_confirmed = order_confirm(by=other_manager, order=new(other_manager, beta))
    gamma_released = order_confirm(by=outsider, order=new(outsider, gamma))
    # the warehouse releases a confirmed order in the confirming transaction; Бета's stays
    # confirmed and not released here, Гамма's released, whatever the warehouse decided
    Order.objects.filter(pk=beta_confirmed.pk).update(
        fulfillment_status=FulfillmentStatus.NOT_RELEASED
    )
    Order.objects.filter(pk=gamma_released.pk).update(fulfillment_status=FulfillmentStatus.RELEASED)
    gamma_draft = new(outsider, gamma)
    users = {
        "manager": manager,
        "other_manager": other_manager,
        "head": head,
        "outsider": outsider,
        "credit": UserFactory(username="credit", roles=["credit_controller"]),
        "accountant": UserFactory(username="accountant", roles=["accountant"]),
        "admin": admin_user,
        "superuser": UserFactory(username="root", is_superuser=True),
        "warehouse": UserFactory(username="store", roles=["warehouse"]),
        "nobody": UserFactory(username="nobody"),
    }
    return SimpleNamespace(
        users=users,
        orders={
            "alpha_draft": alpha_draft,
            "beta_confirmed": beta_confirmed,
            "gamma_released": gamma_released,
            "gamma_draft": gamma_draft,
        },
        customers={"alpha": customer, "beta": beta, "gamma": gamma},
    )


ALL_ORDERS = {"alpha_draft", "beta_confirmed", "gamma_released", "gamma_draft"}
VISIBLE = {
    "manager": {"alpha_draft"},
    "other_manager": {"beta_confirmed"},
    "outsider": {"gamma_released", "gamma_draft"},
    "head": {"alpha_draft"},  # the team's customers only
    "credit": ALL_ORDERS,
    "accountant": ALL_ORDERS,
    "admin": ALL_ORDERS,
    "superuser": ALL_ORDERS,
    "warehouse": {"gamma_released"},  # nothing that is not released
    "nobody": set(),
}


def names(world, orders) -> set[str]:
    by_pk = {o.pk: name for name, o in world.orders.items()}
    return {by_pk[o.pk] for o in orders}


@pytest.mark.parametrize("who", sorted(VISIBLE))
def test_order_scope_per_role(world, who):
    user = world.users[who]

    assert names(world, Order.objects.filter(order_scope(user))) == VISIBLE[who]
    assert names(world, order_list_for(user=user)) == VISIBLE[who]
    for name, order in world.orders.items():
        assert can_view_order(user, order) is (name in VISIBLE[who])
        if name in VISIBLE[who]:
            assert order_get_for(user=user, pk=order.pk) == order
        else:
            # an order one may not see answers as if it did not exist
            with pytest.raises(DomainError) as refused:
                order_get_for(user=user, pk=order.pk)
            assert (refused.value.code, refused.value.status) == ("order_not_found", 404)


def test_a_user_with_several_roles_sees_the_union(world):
    manager = world.users["manager"]
    manager.groups.add(Group.objects.get(name="warehouse"))
    manager = User.objects.get(pk=manager.pk)  # roles are cached per user object
    assert names(world, order_list_for(user=manager)) == {"alpha_draft", "gamma_released"}


def test_a_head_sees_more_when_a_manager_joins_the_team(world):
    head = world.users["head"]
    head.teams_led.get().members.add(world.users["other_manager"])
    head = User.objects.get(pk=head.pk)  # the team is cached per user object
    assert names(world, order_list_for(user=head)) == {"alpha_draft", "beta_confirmed"}


@pytest.mark.parametrize(
    ("who", "visible"),
    [
        ("manager", {"alpha"}),
        ("head", {"alpha"}),
        ("outsider", {"gamma"}),
        ("credit", {"alpha", "beta", "gamma"}),
        ("warehouse", set()),
        ("nobody", set()),
    ],
)
def test_customer_scope_per_role(world, who, visible):
    ours = {c.pk: name for name, c in world.customers.items()}
    seen = Customer.objects.filter(customer_scope(world.users[who]), pk__in=ours)
    assert {ours[c.pk] for c in seen} == visible


@pytest.mark.parametrize(
    ("who", "may_edit"),
    [
        ("manager", True),
        ("head", True),  # a team member's customer
        ("admin", True),
        ("other_manager", False),
        ("outsider", False),
        ("credit", False),
        ("accountant", False),
        ("warehouse", False),
    ],
)
def test_only_the_customers_sellers_edit_an_order(world, who, may_edit):
    order = world.orders["alpha_draft"]
    user = world.users[who]
    if may_edit:
        order_update(by=user, order=order, comment=f"від {who}")
        order.refresh_from_db()
        assert order.comment == f"від {who}"
    else:
        with pytest.raises(DomainError) as refused:
            order_update(by=user, order=order, comment=f"від {who}")
        assert (refused.value.code, refused.value.status) == ("order_not_permitted", 403)
        order.refresh_from_db()
        assert order.comment == ""


def test_a_manager_cannot_enter_orders_for_another_managers_customer(world, product):
    with pytest.raises(DomainError) as refused:
        order_create(
            by=world.users["manager"],
            customer=world.customers["beta"],
            lines=[LineInput(product.pk, "1")],
        )
    assert (refused.value.code, refused.value.status) == ("customer_not_permitted", 403)
    assert not Order.objects.filter(
        customer=world.customers["beta"], created_by__username="manager"
    )


@pytest.mark.parametrize(
    ("who", "terms"),
    [
        ("manager", {"price", "discount", "delivery_terms"}),
        ("head", ALL_TERMS),
        ("admin", ALL_TERMS),
        ("superuser", ALL_TERMS),
        ("credit", set()),
        ("accountant", set()),
        ("warehouse", set()),
        ("nobody", set()),
    ],
)
def test_rights_on_terms_per_role(world, who, terms):
    assert allowed_terms(world.users[who]) == terms


@pytest.mark.parametrize(
    ("who", "may"),
    [
        ("manager", True),
        ("head", True),
        ("admin", True),
        ("credit", False),
        ("accountant", False),
        ("warehouse", False),
    ],
)
def test_who_keeps_order_templates(world, who, may):
    assert can_manage_templates(world.users[who]) is may

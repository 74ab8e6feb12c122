"""factory_boy factories for tests and the benchmark: realistic, small, explicit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth.models import Group, User

from orderdesk.catalog.models import Product, ProductGroup, StockBalance, Warehouse
from orderdesk.customers.models import (
    Customer,
    CustomerGroup,
    PaymentMethod,
    PaymentTerms,
    SalesTeam,
)
from orderdesk.pricing.models import Contract, PriceList, PriceListItem


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="uk_UA")
    last_name = factory.Faker("last_name", locale="uk_UA")
    password = factory.django.Password("demo12345")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        for role in extracted or ():
            self.groups.add(Group.objects.get(name=role))


class WarehouseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Warehouse
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"WH{n}")
    name = factory.Sequence(lambda n: f"Склад {n}")


class ProductGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductGroup
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"G{n}")
    name = factory.Sequence(lambda n: f"Група {n}")


class ProductFactory(factory.django.DjangoModelFactory):
    """A product with its balance rows in every existing warehouse (as the service makes them)."""

    class Meta:
        model = Product
        skip_postgeneration_save = True

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Товар {n}")
    unit = "шт"
    vat_rate = Decimal("20")
    cost_price = Decimal("60")

    @factory.post_generation
    def balances(self, create, extracted, **kwargs):
        if create:
            StockBalance.objects.bulk_create(
                [
                    StockBalance(product=self, warehouse=w, on_hand=extracted or 0)
                    for w in Warehouse.objects.all()
                ],
                ignore_conflicts=True,
            )


class CustomerGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerGroup
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"CG{n}")
    name = factory.Sequence(lambda n: f"Група клієнтів {n}")


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    legal_name = factory.Sequence(lambda n: f"ТОВ «Клієнт {n}»")
    short_name = factory.Sequence(lambda n: f"Клієнт {n}")
    tax_id = factory.Sequence(lambda n: f"{30000000 + n:08d}")
    manager = factory.SubFactory(UserFactory, roles=["sales_manager"])
    delivery_address = "м. Київ, вул. Хрещатик, 1"


class PriceListFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PriceList
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"PL{n}")
    name = factory.Sequence(lambda n: f"Прайс {n}")
    currency_id = "UAH"


class PriceListItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PriceListItem

    price_list = factory.SubFactory(PriceListFactory)
    product = factory.SubFactory(ProductFactory)
    price = Decimal("100")
    valid_from = dt.date(2020, 1, 1)


class ContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contract

    customer = factory.SubFactory(CustomerFactory)
    number = factory.Sequence(lambda n: f"{n}/2026")
    date = dt.date(2026, 1, 1)
    valid_from = dt.date(2020, 1, 1)
    currency_id = "UAH"
    price_list = factory.SubFactory(PriceListFactory)
    payment_terms = factory.LazyFunction(lambda: PaymentTerms.objects.get(code="net14"))
    payment_method = factory.LazyFunction(lambda: PaymentMethod.objects.get(code="bank"))
    max_manual_discount = Decimal("10")
    is_default = True


class SalesTeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SalesTeam

    name = factory.Sequence(lambda n: f"Команда {n}")
    head = factory.SubFactory(UserFactory, roles=["sales_head"])


# --- master data (added with the master-data pages and API) --------------------------------


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "customers.Contact"

    customer = factory.SubFactory(CustomerFactory)
    name = factory.Faker("name", locale="uk_UA")
    position = "Бухгалтер"
    phone = "+380441234567"


class DeliveryMethodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "customers.DeliveryMethod"
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"DM{n}")
    name = factory.Sequence(lambda n: f"Доставка {n}")


class ExchangeRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "core.ExchangeRate"

    currency_id = "USD"
    date = dt.date(2026, 1, 1)
    rate = Decimal("41.5")


# --- billing (documents and payments) -------------------------------------------------------


class CompanyProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "billing.CompanyProfile"

    name = "ТОВ «Будмайстер Постач»"
    short_name = "Будмайстер"
    tax_id = "41234567"
    vat_number = "412345626581"
    iban = "UA213223130000026007233566001"
    bank_name = "АТ «ПриватБанк»"
    address = "м. Київ, вул. Велика Васильківська, 100"
    director_name = "Ковальчук О. П."
    accountant_name = "Мельник Н. В."
    cashier_name = "Шевчук І. І."


class BillingPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "billing.BillingPolicy"

    is_default = True


# --- payments (payment services and intermediaries) -------------------------------------------


class IntermediaryFactory(factory.django.DjangoModelFactory):
    """A cash-on-delivery carrier keeping 2 % + 20.00 a parcel from what it collects."""

    class Meta:
        model = "payments.Intermediary"
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"carrier-{n}")
    name = factory.Sequence(lambda n: f"Перевізник {n}")
    kind = "cod_carrier"
    currency_id = "UAH"
    commission_percent = Decimal("2")
    commission_fixed = Decimal("20")
    commission_withheld = True

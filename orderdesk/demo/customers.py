"""Demo customers: legal names, tax ids with valid check digits, addresses, contacts and
contracts (a default one each, a project contract for some, an expired one for a few)."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from decimal import Decimal

from orderdesk.customers.models import (
    Contact,
    Customer,
    DeliveryMethod,
    PaymentMethod,
    PaymentTerms,
)
from orderdesk.pricing.models import Contract

from . import data
from . import identifiers as ids
from .world import ORDER_DAYS, World


def load_customers(world: World) -> None:
    rng = world.rng
    terms = {t.code: t for t in PaymentTerms.objects.all()}
    methods = {m.code: m for m in PaymentMethod.objects.all()}
    deliveries = {d.code: d for d in DeliveryMethod.objects.all()}
    specs = [
        s
        for s in data.CUSTOMERS
        if world.profile.customers is None or s.slug in world.profile.customers
    ]
    tax_ids: set[str] = set(Customer.objects.values_list("tax_id", flat=True))
    contract_rows = []
    for spec in specs:
        city = data.CITIES[spec.city]
        sole_trader = spec.legal_name.startswith("ФОП")
        while True:
            if sole_trader:
                born = dt.date(1965, 1, 1) + dt.timedelta(days=rng.randint(0, 30 * 365))
                tax_id = ids.rnokpp(rng, born=born, female=spec.female)
            else:
                tax_id = ids.edrpou(rng)
            if tax_id not in tax_ids:
                tax_ids.add(tax_id)
                break
        vat_payer = rng.random() < (0.3 if sole_trader else 0.9)
        legal_address = _address(world, city)
        delivery_address = ""
        if spec.kind == "construction":
            delivery_address = (
                f"м. {city.name}, {rng.choice(data.STREETS)}, {rng.randint(1, 140)}, "
                f"будмайданчик {rng.choice(data.SITES)}"
            )
        elif spec.kind in ("wholesale", "retail") and rng.random() < 0.5:
            delivery_address = (
                f"м. {city.name}, {rng.choice(data.STREETS)}, {rng.randint(1, 200)}, склад"
            )
        customer = Customer(
            legal_name=spec.legal_name,
            short_name=spec.short_name,
            tax_id=tax_id,
            vat_number=ids.vat_number(rng, tax_id=tax_id, region=city.region) if vat_payer else "",
            iban=ids.iban_ua(rng, mfo=rng.choice(data.BANKS)),
            legal_address=legal_address,
            delivery_address=delivery_address,
            email=f"{'zakaz' if spec.kind != 'shop' else 'shop'}@{spec.slug}.example",
            phone=landline(rng, city.phone_code),
            manager=world.users[spec.manager],
            group=world.customer_groups.get(spec.kind),
            active=spec.active,
        )
        customer.full_clean()
        customer.save()
        world.specs[customer.pk] = spec
        _contacts(world, customer, spec)
        contract_rows.append((customer, spec))
    _contracts(world, contract_rows, terms, methods, deliveries)


def _address(world: World, city: data.City) -> str:
    free = 7 - len(city.postal)  # digits the "{}" stands for: a postal code has five
    number = world.rng.randint(1001, 4210) if free == 4 else world.rng.randint(1, 99)
    postal = city.postal.format(f"{number:0{free}d}")
    where = f"{city.oblast}, м. {city.name}" if city.oblast else f"м. {city.name}"
    return f"{postal}, {where}, {world.rng.choice(data.STREETS)}, {world.rng.randint(1, 250)}"


def _contacts(world: World, customer: Customer, spec: data.CustomerSpec) -> None:
    rng = world.rng
    contacts = []
    positions = data.POSITIONS[spec.kind]
    if spec.legal_name.startswith("ФОП"):
        contacts.append((spec.legal_name.removeprefix("ФОП "), "Фізична особа-підприємець"))
        positions = data.POSITIONS["shop"]
    else:
        contacts.append((person(rng), "Директор"))
    for position in rng.sample(positions, k=rng.randint(1, 2)):
        contacts.append((person(rng), position))
    rows = []
    for i, (name, position) in enumerate(contacts):
        last, first = name.split()[:2]
        rows.append(
            Contact(
                customer=customer,
                name=name,
                position=position,
                phone=mobile(rng),
                email=f"{ids.translit(first)[0]}.{ids.translit(last)}@{spec.slug}.example",
                is_primary=i == 0,
            )
        )
    Contact.objects.bulk_create(rows)


def _contracts(world: World, rows, terms, methods, deliveries) -> None:
    """A default contract per customer (numbered per year, like "15/2026"), a project
    contract on other terms for some, an expired one for a few."""
    rng = world.rng
    drafts = []
    for customer, spec in rows:
        signed = world.today - dt.timedelta(days=rng.randint(ORDER_DAYS + 40, ORDER_DAYS + 840))
        drafts.append((signed, customer, spec, "default"))
        if spec.second:
            drafts.append(
                (
                    world.today - dt.timedelta(days=rng.randint(200, 320)),
                    customer,
                    spec,
                    "second",
                )
            )
        elif rng.random() < 0.15:
            signed = world.today - dt.timedelta(days=rng.randint(1000, 1300))
            drafts.append((signed, customer, spec, "old"))
    drafts.sort(key=lambda d: (d[0], d[1].pk))
    numbers: Counter[int] = Counter()
    found: dict[int, dict[str, Contract]] = {}
    for signed, customer, spec, shape in drafts:
        numbers[signed.year] += rng.randint(1, 5)
        valid_to = dt.date(max(signed.year + 2, world.today.year + 1), 12, 31)
        terms_code = spec.terms
        if shape == "second":
            terms_code = spec.second
        elif shape == "old":
            terms_code = "prepay100"
            valid_to = dt.date(signed.year + 1, 12, 31)
        delivery_terms = data.DELIVERY_TERMS[spec.delivery]
        if spec.kind == "construction" and spec.delivery == "own":
            delivery_terms = data.SITE_DELIVERY
        contract = Contract(
            customer=customer,
            number=f"{numbers[signed.year]}/{signed.year}",
            date=signed,
            valid_from=signed,
            valid_to=None if shape == "default" and rng.random() < 0.3 else valid_to,
            currency_id=spec.currency,
            price_list=world.price_lists[spec.price_list],
            payment_terms=terms[terms_code],
            payment_method=methods[spec.method],
            delivery_method=deliveries[spec.delivery],
            delivery_terms=delivery_terms,
            max_manual_discount=Decimal(data.MAX_DISCOUNT[spec.kind]),
            is_default=shape == "default",
            active=True,
        )
        contract.full_clean()
        contract.save()
        found.setdefault(customer.pk, {})[shape] = contract
    for pk, shapes in found.items():
        world.contracts[pk] = (shapes["default"], shapes.get("second"))


def person(rng: random.Random) -> str:
    """Прізвище Ім'я По батькові."""
    female = rng.random() < 0.45
    first = rng.choice(data.FEMALE_NAMES if female else data.MALE_NAMES)
    patronymic = rng.choice(data.PATRONYMICS)[1 if female else 0]
    return f"{rng.choice(data.SURNAMES)} {first} {patronymic}"


def mobile(rng: random.Random) -> str:
    n = f"{rng.randint(0, 9_999_999):07d}"
    return f"+380 {rng.choice(data.MOBILE_CODES)} {n[:3]} {n[3:5]} {n[5:]}"


def landline(rng: random.Random, code: str) -> str:
    """A city number: the area code and the subscriber number make nine digits."""
    digits = 9 - len(code)
    n = f"{rng.randint(2 * 10 ** (digits - 1), 10**digits - 1)}"
    groups = {7: (3, 2, 2), 6: (2, 2, 2), 5: (1, 2, 2)}[digits]
    parts, i = [], 0
    for size in groups:
        parts.append(n[i : i + size])
        i += size
    return f"+380 {code} {' '.join(parts)}"

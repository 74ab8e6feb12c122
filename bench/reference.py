"""Reference data of the bench data set: people, catalogue, prices, rates, customers.

Loaded in bulk (bench.loading) with explicit ids; returns the compact views the order chunks
need (PriceListInfo, CustomerInfo) so no worker has to query them again.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from itertools import accumulate
from typing import Any

from django.contrib.auth.models import Group, User
from django.utils import timezone

from orderdesk.catalog.models import Product, ProductGroup, StockBalance, Warehouse
from orderdesk.core.models import ExchangeRate
from orderdesk.customers.models import (
    Customer,
    CustomerGroup,
    DeliveryMethod,
    PaymentMethod,
    PaymentTerms,
    SalesTeam,
)
from orderdesk.pricing.models import Contract, PriceList, PriceListItem

from .loading import Loader, next_id, reset_sequences
from .scales import Scale

D0 = Decimal(0)
D100 = Decimal(100)
PRICE_EXP = Decimal("0.0001")

GROUPS = [
    ("FAST", "Кріплення", "уп", ["Цвяхи будівельні", "Шурупи по дереву", "Саморізи по металу",
     "Дюбелі нейлонові", "Анкерні болти"], ["4×40 мм", "5×70 мм", "6×100 мм", "8×120 мм", "3,5×35 мм"]),
    ("PAINT", "Лакофарбові матеріали", "шт", ["Фарба акрилова", "Емаль ПФ-115",
     "Ґрунтовка глибокого проникнення", "Лак яхтний", "Морилка"],
     ["біла 2,5 л", "сіра 0,9 л", "10 л", "безбарвна 5 л", "горіх 0,5 л"]),
    ("TOOL", "Інструмент", "шт", ["Молоток столярний", "Рулетка", "Рівень будівельний",
     "Шпатель", "Ножівка по дереву"], ["500 г", "5 м", "60 см", "100 мм", "450 мм"]),
    ("ELEC", "Електротовари", "шт", ["Кабель ВВГ", "Розетка подвійна", "Автоматичний вимикач",
     "Подовжувач", "Лампа LED"], ["3×2,5", "із заземленням", "16 А", "5 м", "10 Вт E27"]),
    ("PLUMB", "Сантехніка", "шт", ["Труба ПП", "Змішувач для кухні", "Кран кульовий", "Сифон",
     "Гнучкий шланг"], ["20 мм", "хром", "1/2\"", "з переливом", "60 см"]),
    ("MIX", "Будівельні суміші", "шт", ["Цемент М500", "Штукатурка гіпсова", "Клей для плитки",
     "Шпаклівка фінішна", "Суміш кладкова"], ["25 кг", "30 кг", "5 кг", "20 кг", "40 кг"]),
    ("ROOF", "Покрівля", "м²", ["Металочерепиця", "Профнастил", "Бітумна черепиця",
     "Мембрана гідроізоляційна", "Водостік"], ["0,45 мм", "ПС-20", "коричнева", "75 м²", "125 мм"]),
    ("INSUL", "Утеплення", "уп", ["Мінеральна вата", "Пінопласт ПСБ-С-25",
     "Екструдований пінополістирол", "Піна монтажна", "Скловата"],
     ["50 мм", "100 мм", "30 мм", "750 мл", "рулон 10 м"]),
    ("GARD", "Сад і город", "шт", ["Шланг поливальний", "Лопата штикова", "Граблі", "Секатор",
     "Тачка садова"], ["3/4\" 20 м", "з держаком", "12 зубців", "200 мм", "80 л"]),
    ("LIGHT", "Освітлення", "шт", ["Світильник стельовий", "Прожектор LED",
     "Стрічка світлодіодна", "Бра настінне", "Лампа розжарювання"],
     ["2×36 Вт", "50 Вт", "5 м", "E14", "60 Вт"]),
    ("WORK", "Спецодяг", "шт", ["Рукавиці робочі", "Костюм робочий", "Окуляри захисні",
     "Каска будівельна", "Черевики робочі"], ["розмір 10", "розмір 52", "прозорі", "біла",
     "розмір 43"]),
]  # fmt: skip
BRANDS = ["Ceresit", "Knauf", "Śnieżka", "Stanley", "Intertool", "Vitals", "Grand", "Master",
          "Профі", "Дніпро-М", "Atlas", "Kale", "Будмайстер", "Поділля"]  # fmt: skip
NAME_HEADS = ["Буд", "Агро", "Техно", "Євро", "Мега", "Укр", "Дніпро", "Карпати", "Поділля",
              "Схід", "Світ", "Край", "Форт", "Альфа", "Вега", "Оріон", "Січ", "Нива"]  # fmt: skip
NAME_TAILS = ["торг", "постач", "сервіс", "буд", "маркет", "трейд", "інвест", "пром", "ресурс",
              "комплект", "лайн", "груп", "дім", "альянс"]  # fmt: skip
CITIES = ["Київ", "Львів", "Дніпро", "Харків", "Одеса", "Запоріжжя", "Вінниця", "Полтава",
          "Чернігів", "Житомир", "Рівне", "Тернопіль", "Івано-Франківськ", "Ужгород", "Суми"]  # fmt: skip
STREETS = ["Шевченка", "Франка", "Лесі Українки", "Грушевського", "Соборна", "Незалежності",
           "Сагайдачного", "Хмельницького", "Садова", "Центральна", "Промислова"]  # fmt: skip
WAREHOUSES = [
    ("KYIV", "Склад Київ", "м. Київ, вул. Промислова, 4"),
    ("LVIV", "Склад Львів", "м. Львів, вул. Городоцька, 295"),
    ("DNIPRO", "Склад Дніпро", "м. Дніпро, вул. Кайдацький шлях, 3"),
    ("ODESA", "Склад Одеса", "м. Одеса, Балтська дорога, 1"),
]
PRICE_LISTS = [
    # code, name, currency, prices include VAT, share of products listed
    ("BENCH-WHOLESALE", "Оптовий", "UAH", False, 1.0),
    ("BENCH-RETAIL", "Роздрібний", "UAH", True, 1.0),
    ("BENCH-EXPORT", "Експортний", "EUR", False, 0.4),
]
RATE_START = {"EUR": Decimal("44.50"), "USD": Decimal("41.30")}


class Names:
    """Ukrainian names and addresses: Faker uk_UA when installed, small word lists otherwise."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        try:
            from faker import Faker

            self.faker = Faker("uk_UA")
            self.faker.seed_instance(rng.randrange(1 << 30))
        except ImportError:  # pragma: no cover - Faker is a dev dependency
            self.faker = None

    def person(self) -> tuple[str, str, str]:
        if self.faker is None:
            return (
                self.rng.choice(["Олена", "Іван", "Марія", "Петро", "Оксана", "Андрій"]),
                self.rng.choice(["Коваленко", "Шевчук", "Бондар", "Ткаченко", "Мельник"]),
                "",
            )
        if self.rng.random() < 0.5:
            f = self.faker
            return f.first_name_male(), f.last_name_male(), f.middle_name_male()
        f = self.faker
        return f.first_name_female(), f.last_name_female(), f.middle_name_female()

    def address(self) -> str:
        r = self.rng
        city = self.faker.city() if self.faker and r.random() < 0.3 else f"м. {r.choice(CITIES)}"
        street = self.faker.street_name() if self.faker else r.choice(STREETS)
        return f"{r.randint(10000, 99999)}, {city}, вул. {street}, {r.randint(1, 250)}"

    def company(self) -> tuple[str, str, bool]:
        """(legal name, short name, is a sole trader)."""
        r = self.rng
        x = r.random()
        if x < 0.2:
            first, last, middle = self.person()
            short = f"ФОП {last} {first[0]}.{(middle[:1] + '.') if middle else ''}"
            return f"ФОП {last} {first} {middle}".strip(), short, True
        word = r.choice(NAME_HEADS) + r.choice(NAME_TAILS)
        if r.random() < 0.25:
            word += f"-{r.choice(CITIES)}"
        form = "ТОВ" if x < 0.8 else ("ПП" if x < 0.93 else "ПрАТ")
        return f"{form} «{word}»", word, False


@dataclass
class PriceListInfo:
    id: int
    name: str
    currency: str
    includes_vat: bool
    products: list[int]
    cum: list[float]
    # product id -> [(min_quantity, valid_from, valid_to, price)], best first
    items: dict[int, list[tuple[Decimal, dt.date, dt.date | None, Decimal]]]


@dataclass
class CustomerInfo:
    id: int
    manager_id: int
    warehouse_id: int
    contract_id: int
    price_list_id: int
    currency: str
    payment_terms_id: int
    payment_method_id: int
    delivery_method_id: int | None
    delivery_terms: str
    delivery_address: str
    prepayment: bool
    snapshot: dict[str, Any]  # the header values that come from customer and contract


def users(scale: Scale, names: Names, rng: random.Random, loader: Loader) -> dict:
    groups = dict(Group.objects.values_list("name", "pk"))
    first = next_id(User)
    heads_n = max(1, scale.managers // 8)
    now = timezone.now()
    rows, memberships, actors = [], [], {}
    managers, heads = [], []
    for i in range(scale.managers + heads_n):
        uid = first + i
        head = i >= scale.managers
        fn, ln, _m = names.person()
        username = f"bench.{'h' if head else 'm'}{uid}"
        rows.append((uid, "!bench", False, username, fn, ln, f"{username}@example.com", False,
                     True, now))  # fmt: skip
        memberships.append((uid, groups["sales_head" if head else "sales_manager"]))
        actors[uid] = f"{fn} {ln}"
        (heads if head else managers).append(uid)
    user_cols = ("id", "password", "is_superuser", "username", "first_name", "last_name",
                 "email", "is_staff", "is_active", "date_joined")  # fmt: skip
    loader.load(User, user_cols, rows)
    loader.load(User.groups.through, ("user_id", "group_id"), memberships)
    team_first = next_id(SalesTeam)
    teams = [(team_first + i, f"Відділ продажу {team_first + i}", h) for i, h in enumerate(heads)]
    loader.load(SalesTeam, ("id", "name", "head_id"), teams)
    loader.load(
        SalesTeam.members.through,
        ("salesteam_id", "user_id"),
        [(teams[i % len(teams)][0], m) for i, m in enumerate(managers)],
    )
    reset_sequences([User, SalesTeam])
    return {"managers": managers, "heads": heads, "actors": actors}


def catalogue(scale: Scale, rng: random.Random, loader: Loader, today: dt.date) -> dict:
    warehouses = []
    for code, name, address in WAREHOUSES[: scale.warehouses]:
        wh, _c = Warehouse.objects.get_or_create(
            code=code, defaults={"name": name, "address": address}
        )
        warehouses.append(wh.pk)
    groups = []
    for code, name, unit, nouns, specs in GROUPS:
        g, _c = ProductGroup.objects.get_or_create(code=f"B-{code}", defaults={"name": name})
        groups.append((g.pk, code, unit, nouns, specs))
    first = next_id(Product)
    products, balances, info = [], [], {}
    for i in range(scale.products):
        pid = first + i
        gid, gcode, unit, nouns, specs = groups[i % len(groups)]
        name = f"{rng.choice(nouns)} {rng.choice(specs)} {rng.choice(BRANDS)}"
        sku = f"{gcode}-{pid:06d}"
        x = rng.random()
        vat = Decimal(20) if x < 0.9 else (Decimal(7) if x < 0.95 else D0)
        cost = Decimal(str(round(math.exp(rng.gauss(4.2, 1.0)), 2))).quantize(PRICE_EXP)
        products.append((pid, sku, name, unit, vat, cost, True, "UAH", gid))
        info[pid] = (f"{sku} {name}", name, unit, vat, cost)
        for wid in warehouses:
            on_hand = Decimal(rng.choice([0, 5, 20, 50, 100, 250, 500, 1000]))
            reserved = min(on_hand, Decimal(rng.choice([0, 0, 0, 2, 5, 10])))
            balances.append((on_hand, reserved, pid, wid))
    product_cols = ("id", "sku", "name", "unit", "vat_rate", "cost_price", "active",
                    "cost_currency_id", "group_id")  # fmt: skip
    loader.load(Product, product_cols, products)
    loader.load(StockBalance, ("on_hand", "reserved", "product_id", "warehouse_id"), balances)
    reset_sequences([Product, StockBalance, Warehouse, ProductGroup])
    return {"warehouses": warehouses, "products": info}


def rates(scale: Scale, rng: random.Random, today: dt.date) -> dict[str, dict[dt.date, Decimal]]:
    start = today - dt.timedelta(days=scale.days + 14)
    rows = []
    for currency, rate in RATE_START.items():
        day = start
        while day <= today:
            rows.append(ExchangeRate(currency_id=currency, date=day, rate=rate, units=1))
            rate = (rate * Decimal(1 + rng.gauss(0, 0.003))).quantize(Decimal("0.0001"))
            day += dt.timedelta(days=1)
    ExchangeRate.objects.bulk_create(rows, ignore_conflicts=True, batch_size=2000)
    rates: dict[str, dict[dt.date, Decimal]] = {}
    for currency, date, rate, units in ExchangeRate.objects.filter(date__gte=start).values_list(
        "currency_id", "date", "rate", "units"
    ):
        rates.setdefault(currency, {})[date] = (Decimal(rate) / Decimal(units)).quantize(
            Decimal("0.000001")
        )
    return rates


def price_lists(
    scale: Scale, rng: random.Random, loader: Loader, products: dict, today: dt.date, rates
) -> dict[int, PriceListInfo]:
    start = today - dt.timedelta(days=scale.days)
    lists: dict[int, PriceListInfo] = {}
    rows = []
    popularity = {pid: 1 / (rank + 1) ** 0.9 for rank, pid in enumerate(rng.sample(
        sorted(products), len(products)))}  # fmt: skip
    eur = rates.get("EUR", {}).get(today, RATE_START["EUR"])
    for code, name, currency, with_vat, share in PRICE_LISTS:
        pl, _c = PriceList.objects.get_or_create(
            code=code,
            defaults={"name": name, "currency_id": currency, "prices_include_vat": with_vat},
        )
        listed = [pid for pid in sorted(products) if rng.random() < share]
        items: dict[int, list] = {}
        for pid in listed:
            _label, _name, _unit, vat, cost = products[pid]
            price = cost * Decimal(str(round(rng.uniform(1.15, 1.4), 3)))
            if with_vat:
                price = price * (D100 + vat) / D100
            if currency != "UAH":
                price = price / eur
            price = price.quantize(PRICE_EXP, rounding=ROUND_HALF_UP)
            entries = []
            if rng.random() < 0.3:  # a price change inside the period: history kept
                change = start + dt.timedelta(days=rng.randrange(30, scale.days))
                old = (price / Decimal("1.08")).quantize(PRICE_EXP, rounding=ROUND_HALF_UP)
                entries.append((D0, dt.date(2020, 1, 1), change - dt.timedelta(days=1), old))
                entries.append((D0, change, None, price))
            else:
                entries.append((D0, dt.date(2020, 1, 1), None, price))
            if rng.random() < 0.15:  # quantity break from 10
                brk = (price * Decimal("0.95")).quantize(PRICE_EXP, rounding=ROUND_HALF_UP)
                entries.append((Decimal(10), dt.date(2020, 1, 1), None, brk))
            for min_q, vf, vt, p in entries:
                rows.append((p, min_q, vf, vt, pl.pk, pid))
            entries.sort(key=lambda e: (e[0], e[1]), reverse=True)
            items[pid] = entries
        lists[pl.pk] = PriceListInfo(
            id=pl.pk,
            name=pl.name,
            currency=pl.currency_id,
            includes_vat=pl.prices_include_vat,
            products=listed,
            cum=list(accumulate(popularity[pid] for pid in listed)),
            items=items,
        )
    loader.load(
        PriceListItem,
        ("price", "min_quantity", "valid_from", "valid_to", "price_list_id", "product_id"),
        rows,
    )
    reset_sequences([PriceList, PriceListItem])
    return lists


def customers(
    scale: Scale,
    names: Names,
    rng: random.Random,
    loader: Loader,
    *,
    managers: list[int],
    actors: dict[int, str],
    warehouses: list[int],
    price_lists: dict[int, PriceListInfo],
    today: dt.date,
) -> list[CustomerInfo]:
    by_code = dict(PriceList.objects.filter(pk__in=price_lists).values_list("code", "pk"))
    terms = {t.code: t for t in PaymentTerms.objects.all()}
    methods = {m.code: m for m in PaymentMethod.objects.all()}
    deliveries = [None, *DeliveryMethod.objects.order_by("code")]
    wh_names = dict(Warehouse.objects.filter(pk__in=warehouses).values_list("pk", "name"))
    cgroups = []
    for code, name in (("B-WHOLESALE", "Оптові клієнти"), ("B-RETAIL", "Роздрібні клієнти"),
                       ("B-EXPORT", "Закордонні клієнти")):  # fmt: skip
        g, _c = CustomerGroup.objects.get_or_create(code=code, defaults={"name": name})
        cgroups.append(g.pk)
    usernames = dict(User.objects.filter(pk__in=managers).values_list("pk", "username"))
    first = next_id(Customer)
    first_contract = next_id(Contract)
    now = timezone.now()
    latest_start = today - dt.timedelta(days=scale.days + 1)
    customers, contracts, infos = [], [], []
    next_contract = first_contract
    taken_tax = set(Customer.objects.values_list("tax_id", flat=True))
    for i in range(scale.customers):
        cid = first + i
        legal, short, sole = names.company()
        tax_id = f"{3_000_000_000 + cid:010d}" if sole else f"{40_000_000 + cid:08d}"
        if tax_id in taken_tax:  # a second run on the same database
            tax_id = (
                f"{rng.randrange(10**9, 10**10):010d}" if sole else f"{rng.randrange(10**7, 10**8)}"
            )
        taken_tax.add(tax_id)
        address = names.address()
        delivery = address if rng.random() < 0.6 else names.address()
        manager = managers[i % len(managers)]
        x = rng.random()
        if x < 0.05 and "BENCH-EXPORT" in by_code:
            pl_code, group, currency = "BENCH-EXPORT", cgroups[2], "EUR"
        elif x < 0.3:
            pl_code, group, currency = "BENCH-RETAIL", cgroups[1], "UAH"
        else:
            pl_code, group, currency = "BENCH-WHOLESALE", cgroups[0], "UAH"
        customers.append((
            cid, legal, short, tax_id,
            "" if sole or rng.random() < 0.3 else f"{rng.randrange(10**11, 10**12)}",
            f"UA{rng.randrange(10**26, 10**27)}", address, delivery,
            f"info{cid}@example.com", f"+380{rng.randrange(10**8, 10**9)}",
            rng.random() > 0.02, now - dt.timedelta(days=rng.randrange(scale.days, 3 * scale.days)),
            manager, group,
        ))  # fmt: skip
        term = rng.choices(["net14", "net30", "prepay100", "half50"], [40, 25, 25, 10])[0]
        method = "bank" if rng.random() < 0.85 else rng.choice(["card", "cash", "cod"])
        dmethod = rng.choice(deliveries)
        dterms = rng.choice(["", "", "DAP склад покупця", "FCA Київ", "EXW склад продавця"])
        signed = latest_start - dt.timedelta(days=rng.randrange(0, 3 * 365))
        number = f"{cid}/{signed.year}"
        contract_id = next_contract
        if rng.random() < 0.1:  # an old, expired contract besides the default one
            old_from = signed - dt.timedelta(days=2 * 365)
            contracts.append((
                next_contract, f"{cid}-С/{old_from.year}", old_from, old_from,
                signed - dt.timedelta(days=1), dterms, Decimal(5), False, False, "UAH", cid,
                dmethod.pk if dmethod else None, methods["bank"].pk, terms["net14"].pk,
                by_code["BENCH-WHOLESALE"],
            ))  # fmt: skip
            next_contract += 1
            contract_id = next_contract
        contracts.append((
            contract_id, number, signed, signed, None, dterms, Decimal(rng.choice([5, 10])), True,
            True, currency, cid, dmethod.pk if dmethod else None, methods[method].pk,
            terms[term].pk, by_code[pl_code],
        ))  # fmt: skip
        next_contract += 1
        contract_str = str(Contract(number=number, date=signed))
        pl = price_lists[by_code[pl_code]]
        wh = warehouses[0] if rng.random() < 0.6 else rng.choice(warehouses)
        infos.append(
            CustomerInfo(
                id=cid,
                manager_id=manager,
                warehouse_id=wh,
                contract_id=contract_id,
                price_list_id=pl.id,
                currency=currency,
                payment_terms_id=terms[term].pk,
                payment_method_id=methods[method].pk,
                delivery_method_id=dmethod.pk if dmethod else None,
                delivery_terms=dterms,
                delivery_address=delivery,
                prepayment=term in ("prepay100", "half50"),
                snapshot={
                    "customer": short,
                    "contract": contract_str,
                    "currency": currency,
                    "price_list": pl.name,
                    "payment_terms": terms[term].name,
                    "payment_method": methods[method].name,
                    "delivery_method": dmethod.name if dmethod else None,
                    "delivery_terms": dterms,
                    "delivery_address": delivery,
                    "warehouse": wh_names[wh],
                    "manager": usernames[manager],
                },
            )
        )
    customer_cols = ("id", "legal_name", "short_name", "tax_id", "vat_number", "iban",
                     "legal_address", "delivery_address", "email", "phone", "active",
                     "created_at", "manager_id", "group_id")  # fmt: skip
    loader.load(Customer, customer_cols, customers)
    contract_cols = ("id", "number", "date", "valid_from", "valid_to", "delivery_terms",
                     "max_manual_discount", "is_default", "active", "currency_id", "customer_id",
                     "delivery_method_id", "payment_method_id", "payment_terms_id",
                     "price_list_id")  # fmt: skip
    loader.load(Contract, contract_cols, contracts)
    reset_sequences([Customer, Contract, CustomerGroup])
    return infos

"""What the demo loader knows while it builds the dataset: one random source, today's date,
and the objects each step hands to the next."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from . import data

RATE_DAYS = 400  # exchange rates for every day of this many days up to today
ORDER_DAYS = 183  # orders spread over about six months
PRICE_START_DAYS = 365  # price lists valid from a year ago
PRICE_RISE_DAYS = 75  # paints and dry mixes went up 5 % this many days ago
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Profile:
    orders: int
    customers: tuple[str, ...] | None  # slugs; None = every customer


FULL = Profile(orders=320, customers=None)
SMALL = Profile(orders=40, customers=tuple(data.SMALL_CUSTOMERS))


@dataclass
class Summary:
    counts: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    orders: dict[str, int] = field(default_factory=dict)
    logins: list[tuple[str, str, str]] = field(default_factory=list)
    kept_passwords: list[str] = field(default_factory=list)


@dataclass
class World:
    rng: random.Random
    today: dt.date
    profile: Profile
    summary: Summary = field(default_factory=Summary)
    users: dict[str, Any] = field(default_factory=dict)
    warehouses: dict[str, Any] = field(default_factory=dict)
    products: dict[str, Any] = field(default_factory=dict)  # by name
    group_of: dict[int, str] = field(default_factory=dict)  # product pk -> group code
    customer_groups: dict[str, Any] = field(default_factory=dict)
    price_lists: dict[str, Any] = field(default_factory=dict)
    eur_at_start: Decimal = Decimal(1)
    specs: dict[int, data.CustomerSpec] = field(default_factory=dict)  # by customer pk
    contracts: dict[int, tuple[Any, Any]] = field(default_factory=dict)  # (default, second)
    templates: list[Any] = field(default_factory=list)
    pools: dict[str, list[Any]] = field(default_factory=dict)
    order_flags: Counter[str] = field(default_factory=Counter)
    policy: Any = None  # the billing policy of the load (documents left for the accountant)
    hold_released: bool = False
    bank_refs: int = 0

"""Sizes of the generated data set, by name or by the number of orders (no Django here)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

# Named sizes; `--scale 350000` works too. "large" is the 1M-order design point of the
# architecture; "xlarge" reaches about 10M order lines (the mean order has ~5.6 lines).
NAMED = {
    "tiny": 300,
    "small": 20_000,
    "medium": 200_000,
    "large": 1_000_000,
    "xlarge": 1_800_000,
}
DEFAULT = "small"


@dataclass(frozen=True)
class Scale:
    """How much data: orders drive everything else (customers, products, managers)."""

    name: str
    orders: int
    customers: int
    products: int
    managers: int
    warehouses: int = 3
    days: int = 730  # orders spread over the last two years, up to today

    @classmethod
    def of(cls, value: str | int | None) -> Scale:
        """A scale from a name ("small") or an order count ("50000", "1e6", "1M")."""
        if value is None or value == "":
            value = DEFAULT
        text = str(value).strip().lower()
        if text in NAMED:
            name, orders = text, NAMED[text]
        else:
            mult = 1
            if text.endswith("m"):
                text, mult = text[:-1], 1_000_000
            elif text.endswith("k"):
                text, mult = text[:-1], 1_000
            try:
                orders = int(float(text) * mult)
            except ValueError:
                raise ValueError(
                    f"unknown scale {value!r}: use {', '.join(NAMED)} or a number of orders"
                ) from None
            if orders < 1:
                raise ValueError("a scale needs at least one order")
            name = str(orders)
        return cls.for_orders(orders, name=name)

    @classmethod
    def for_orders(cls, orders: int, *, name: str | None = None) -> Scale:
        customers = max(30, orders // 50)  # ~50 orders per customer over two years
        products = max(60, min(20_000, orders // 80))
        managers = max(3, customers // 150)
        return cls(
            name=name or str(orders),
            orders=orders,
            customers=customers,
            products=products,
            managers=managers,
        )

    def as_dict(self) -> dict:
        return asdict(self)

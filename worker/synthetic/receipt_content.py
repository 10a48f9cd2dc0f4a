"""What a till receipt says: the shop, what was bought, and how it was paid.

Line prices include VAT in VAT countries, so the tax is the part of the total the rate
implies, rounded once; US sales tax is added on top of the subtotal instead.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from worker.synthetic import corpus
from worker.synthetic.content import Party, cents, make_party, random_date
from worker.synthetic.locales import Locale


@dataclass(frozen=True, slots=True)
class ReceiptLine:
    name: str
    quantity: int
    unit_price: Decimal

    @property
    def total(self) -> Decimal:
        return self.unit_price * self.quantity


@dataclass(frozen=True)
class Receipt:
    """A till receipt. In VAT countries prices include the tax; US sales tax is added on top."""

    shop: Party
    issue_date: date
    time: str
    number: str
    cashier: str
    currency: str
    lines: tuple[ReceiptLine, ...]
    tax_rate: Decimal
    tax_included: bool
    paid_cash: bool

    @property
    def subtotal(self) -> Decimal:
        return sum((line.total for line in self.lines), Decimal("0.00"))

    @property
    def tax(self) -> Decimal:
        if self.tax_included:
            return cents(self.subtotal * self.tax_rate / (100 + self.tax_rate))
        return cents(self.subtotal * self.tax_rate / 100)

    @property
    def total(self) -> Decimal:
        return self.subtotal if self.tax_included else self.subtotal + self.tax

    @property
    def tendered(self) -> Decimal:
        """Cash handed over: the total rounded up to a note or coin a customer would give."""
        for step in (Decimal(5), Decimal(10), Decimal(20), Decimal(50), Decimal(100)):
            if self.total <= step * 4:
                return (self.total / step).to_integral_value(rounding="ROUND_CEILING") * step
        return self.total

    @property
    def change(self) -> Decimal:
        return self.tendered - self.total


def make_receipt(rng: random.Random, locale: Locale) -> Receipt:
    items = corpus.RECEIPT_ITEMS[locale.language]
    lines = tuple(
        ReceiptLine(
            name, rng.choice([1, 1, 1, 1, 2, 2, 3]), cents(Decimal(str(rng.uniform(lo, hi))))
        )
        for name, lo, hi in rng.sample(items, rng.randint(1, min(9, len(items))))
    )
    positive_rates = [rate for rate in locale.tax_rates if rate > 0]
    return Receipt(
        shop=make_party(rng, locale.country, locale.language, shop=True),
        issue_date=random_date(rng),
        time=f"{rng.randint(7, 21):02d}:{rng.randint(0, 59):02d}",
        number=str(rng.randint(1000, 999999)),
        cashier=str(rng.randint(1, 12)),
        currency=rng.choice(locale.currencies),
        lines=lines,
        tax_rate=rng.choice(positive_rates),
        tax_included=locale.country != "US",
        paid_cash=rng.random() < 0.5,
    )

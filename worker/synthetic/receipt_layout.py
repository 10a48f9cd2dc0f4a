"""Till receipts: a narrow thermal-paper page (58 or 80 mm) as long as its content.

Receipts carry fewer fields than invoices but more decoys: the cash handed over, the change,
a card payment equal to the total, per-line prices. Only the shop's name and address, the
date, the total, the tax and the currency are tagged.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from worker.synthetic.fonts import FontFamily, families, text_width
from worker.synthetic.locales import SYMBOLS, Style
from worker.synthetic.page import LINE_PITCH, Page, PageBuilder
from worker.synthetic.receipt_content import Receipt

MM = 72 / 25.4


@dataclass(frozen=True, slots=True)
class ReceiptLook:
    family: FontFamily
    size: float
    width: float
    margin: float
    centred: bool
    currency_mode: str  # "code" | "symbol" | "none"
    show_address: bool
    show_tax: bool
    separator: str
    barcode: bool
    title: bool

    @property
    def name(self) -> str:
        return f"receipt/{round(self.width / MM)}mm/{self.family.regular}"


def choose_receipt_look(rng: random.Random) -> ReceiptLook:
    mono = [family for family in families() if family.monospace]
    family = rng.choice(mono) if rng.random() < 0.7 else rng.choice(families())
    return ReceiptLook(
        family=family,
        size=rng.choice([7.0, 7.5, 8.0, 8.5]),
        width=rng.choice([58 * MM, 80 * MM, 80 * MM]),
        margin=rng.choice([6.0, 9.0, 12.0]),
        centred=rng.random() < 0.8,
        currency_mode=rng.choice(["code", "symbol", "symbol", "none"]),
        show_address=rng.random() < 0.95,
        show_tax=rng.random() < 0.8,
        separator=rng.choice(["-", "=", "*", "line"]),
        barcode=rng.random() < 0.4,
        title=rng.random() < 0.4,
    )


@dataclass
class Roll:
    """The receipt being printed, top to bottom, one line at a time."""

    b: PageBuilder
    look: ReceiptLook
    style: Style
    y: float

    @property
    def left(self) -> float:
        return self.look.margin

    @property
    def right(self) -> float:
        return self.look.width - self.look.margin

    def line(
        self,
        text: str,
        *,
        tag: str | None = None,
        bold: bool = False,
        scale: float = 1.0,
        centred: bool = False,
    ) -> None:
        font = self.look.family.bold if bold else self.look.family.regular
        size = self.look.size * scale
        x, align = (self.look.width / 2, "center") if centred else (self.left, "left")
        self.b.text(
            x, self.y, text, font, size, tag=tag, align=align, max_width=self.right - self.left
        )
        self.y += size * LINE_PITCH

    def pair(
        self,
        left: str,
        right: str,
        *,
        tag: str | None = None,
        bold: bool = False,
        currency: str = "",
        currency_tag: str | None = None,
        scale: float = 1.0,
    ) -> None:
        """A label on the left and an amount on the right, with an optional currency mark."""
        font = self.look.family.bold if bold else self.look.family.regular
        size = self.look.size * scale
        amount = self.b.text(self.right, self.y, right, font, size, tag=tag, align="right")
        if currency:
            self.b.text(
                amount.x - size * 0.5, self.y, currency, font, size, tag=currency_tag, align="right"
            )
        self.b.text(self.left, self.y, left, font, size, max_width=(self.right - self.left) * 0.6)
        self.y += size * LINE_PITCH

    def rule(self) -> None:
        look = self.look
        if look.separator == "line":
            middle = self.y + look.size * 0.5
            self.b.shape("line", (self.left, middle, self.right, middle), width=0.6)
        else:
            char_width = text_width(look.separator, look.family.regular, look.size)
            count = int((self.right - self.left) // char_width)
            self.b.text(self.left, self.y, look.separator * count, look.family.regular, look.size)
        self.y += look.size * LINE_PITCH


def draw_receipt(receipt: Receipt, style: Style, look: ReceiptLook) -> tuple[Page, ...]:
    roll = Roll(PageBuilder(look.width, 10_000), look, style, look.margin + 4)
    draw_shop(roll, receipt)
    draw_items(roll, receipt)
    draw_sums(roll, receipt)
    draw_payment(roll, receipt)
    return (roll.b.build(height=roll.y + look.margin + 6),)


def draw_shop(roll: Roll, receipt: Receipt) -> None:
    shop, style, centred = receipt.shop, roll.style, roll.look.centred
    roll.line(shop.name, tag="vendor_name", bold=True, scale=1.3, centred=centred)
    if roll.look.show_address:
        for line in shop.address:
            roll.line(line, tag="vendor_address", centred=centred)
    roll.line(f"{style.label('phone')} {shop.phone}", centred=centred)
    roll.line(f"{style.label('vendor_tax_id')} {shop.tax_id}", scale=0.9, centred=centred)
    if roll.look.title:
        roll.line(style.label("receipt"), bold=True, centred=centred)
    roll.rule()
    date_run = roll.b.text(
        roll.left,
        roll.y,
        style.date(receipt.issue_date),
        roll.look.family.regular,
        roll.look.size,
        tag="issue_date",
    )
    roll.b.text(
        date_run.box[2] + roll.look.size,
        roll.y,
        receipt.time,
        roll.look.family.regular,
        roll.look.size,
    )
    roll.y += roll.look.size * LINE_PITCH
    roll.line(
        f"{style.label('receipt_no')} {receipt.number}   {style.label('cashier')} {receipt.cashier}"
    )
    roll.rule()


def draw_items(roll: Roll, receipt: Receipt) -> None:
    style = roll.style
    for line in receipt.lines:
        if line.quantity > 1:
            roll.line(line.name)
            roll.pair(
                f"  {line.quantity} x {style.amount(line.unit_price)}", style.amount(line.total)
            )
        else:
            roll.pair(line.name, style.amount(line.total))
    roll.rule()


def currency_mark(roll: Roll, receipt: Receipt) -> str:
    mode = roll.look.currency_mode
    if mode == "symbol":
        return SYMBOLS.get(receipt.currency, receipt.currency)
    return receipt.currency if mode == "code" else ""


def draw_sums(roll: Roll, receipt: Receipt) -> None:
    """Subtotal and added tax (US), the total, or the tax the total includes (VAT)."""
    style = roll.style
    if not receipt.tax_included:
        roll.pair(style.label("subtotal"), style.amount(receipt.subtotal))
        roll.pair(
            style.label("tax", rate=style.number(receipt.tax_rate)),
            style.amount(receipt.tax),
            tag="tax_amount",
        )
    mark = currency_mark(roll, receipt)
    roll.pair(
        style.label("receipt_total"),
        style.amount(receipt.total),
        tag="total_amount",
        bold=True,
        scale=1.25,
        currency=mark,
        currency_tag="currency" if mark else None,
    )
    if receipt.tax_included and roll.look.show_tax:
        label = style.label("included_tax", rate=style.number(receipt.tax_rate))
        roll.pair(label, style.amount(receipt.tax), tag="tax_amount", scale=0.9)


def draw_payment(roll: Roll, receipt: Receipt) -> None:
    style = roll.style
    if receipt.paid_cash:
        roll.pair(style.label("cash"), style.amount(receipt.tendered))
        roll.pair(style.label("change"), style.amount(receipt.change))
    else:
        roll.pair(style.label("card"), style.amount(receipt.total))
    roll.rule()
    count = sum(line.quantity for line in receipt.lines)
    roll.line(style.label("items_count", n=count), scale=0.9)
    roll.line(style.label("receipt_thanks"), centred=True)
    if roll.look.barcode:
        draw_barcode(roll, receipt.number)


def draw_barcode(roll: Roll, number: str) -> None:
    """Bars derived from the receipt number: decoration a reader must learn to ignore."""
    x = roll.left + 6
    y = roll.y + 4
    for index, digit in enumerate(number * 3):
        width = 0.6 + int(digit) % 3 * 0.6
        if index % 2 == 0:
            roll.b.shape("rect", (x, y, x + width, y + 22), fill=(0.0, 0.0, 0.0), stroke=None)
        x += width + 0.8
        if x > roll.right - 6:
            break
    roll.y = y + 26

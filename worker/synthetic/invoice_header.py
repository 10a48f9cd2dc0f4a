"""The top of an invoice page: vendor block and logo, title, customer block, references."""

from __future__ import annotations

from worker.synthetic.content import Party
from worker.synthetic.fonts import text_width
from worker.synthetic.invoice_look import (
    address_band_height,
    first_table_top,
    header_height,
    next_table_top,
)
from worker.synthetic.invoice_sheet import GREY, WHITE, Sheet
from worker.synthetic.page import LINE_PITCH


def draw_first_page_top(sheet: Sheet) -> float:
    look = sheet.look
    draw_vendor_block(sheet)
    title_x = look.margin if look.vendor_right else look.width - look.margin
    sheet.b.text(
        title_x,
        look.margin,
        sheet.style.label("title"),
        look.family.bold,
        look.size * 2.0,
        align="right" if not look.vendor_right else "left",
        color=look.accent,
    )
    y = look.margin + header_height(look)
    draw_customer_block(sheet, y)
    if look.meta == "right_of":
        draw_meta_right_of(sheet, y)
        return first_table_top(look)
    draw_meta_band(sheet, y + address_band_height(look))
    return first_table_top(look)


def draw_vendor_block(sheet: Sheet) -> None:
    look, vendor = sheet.look, sheet.invoice.vendor
    align = "right" if look.vendor_right else "left"
    x = look.width - look.margin if look.vendor_right else look.margin
    y = look.margin
    if look.logo != "none":
        draw_logo(sheet, x - 34 if look.vendor_right else x, y, vendor.name)
        y += 40
    sheet.b.text(
        x,
        y,
        vendor.name,
        look.family.bold,
        look.size * 1.5,
        tag="vendor_name",
        align=align,
        max_width=look.width / 2 - look.margin,
    )
    y += look.size * 1.5 * LINE_PITCH
    y = sheet.b.lines(
        x, y, vendor.address, look.family.regular, look.size, tag="vendor_address", align=align
    )
    if sheet.shows("contact"):
        contact = f"{sheet.style.label('phone')} {vendor.phone}"
        y = sheet.b.lines(
            x, y, (contact, vendor.email), look.family.regular, look.size * 0.9, align=align
        )
    if look.tax_id_in_header and sheet.shows("vendor_tax_id"):
        draw_tax_id(sheet, x, y, vendor, tag="vendor_tax_id", align=align)


def draw_tax_id(sheet: Sheet, x: float, y: float, party: Party, *, tag: str, align: str) -> None:
    tax_id = party.tax_id
    key = "us_tax_id" if party.country == "US" else tag
    label = sheet.style.label(key) + " "
    font, size = sheet.look.family.regular, sheet.look.size
    if align == "right":
        sheet.b.text(x, y, tax_id, font, size, tag=tag, align="right")
        sheet.b.text(x - text_width(tax_id, font, size), y, label, font, size, align="right")
    else:
        run = sheet.b.text(x, y, label, font, size)
        sheet.b.text(run.box[2], y, tax_id, font, size, tag=tag)


def draw_logo(sheet: Sheet, x: float, y: float, name: str) -> None:
    look = sheet.look
    initials = "".join(word[0] for word in name.split()[:2] if word[0].isalpha()).upper() or "X"
    if look.logo == "bars":
        for i in range(3):
            sheet.b.shape(
                "rect",
                (x, y + i * 11, x + 34 - i * 8, y + i * 11 + 7),
                fill=look.accent,
                stroke=None,
            )
        return
    sheet.b.shape(
        "rect" if look.logo == "box" else "ellipse",
        (x, y, x + 34, y + 34),
        fill=look.accent,
        stroke=None,
    )
    sheet.b.text(
        x + 17,
        y + 17 - look.size * 0.7,
        initials,
        look.family.bold,
        look.size * 1.4,
        align="center",
        color=WHITE,
    )


def draw_customer_block(sheet: Sheet, y: float) -> None:
    look, invoice = sheet.look, sheet.invoice
    x = look.margin
    if look.sender_line:
        vendor = invoice.vendor
        line = " · ".join((vendor.name, *vendor.address[:2]))
        sheet.b.text(
            x,
            y,
            line,
            look.family.regular,
            look.size * 0.7,
            color=GREY,
            max_width=look.width * 0.45,
        )
    y += look.pitch
    if not sheet.shows("customer_name"):
        return
    sheet.b.text(
        x, y, sheet.style.label("bill_to"), look.family.bold, look.size * 0.9, color=look.accent
    )
    y += look.pitch
    customer = invoice.customer
    sheet.b.text(
        x,
        y,
        customer.name,
        look.family.bold,
        look.size,
        tag="customer_name",
        max_width=look.width * 0.45,
    )
    y += look.pitch
    if sheet.shows("customer_address"):
        y = sheet.b.lines(
            x, y, customer.address, look.family.regular, look.size, tag="customer_address"
        )
    if sheet.shows("customer_tax_id"):
        draw_tax_id(sheet, x, y, customer, tag="customer_tax_id", align="left")


def meta_rows(sheet: Sheet) -> list[tuple[str, str, str | None]]:
    """(label, printed value, tag) of the invoice's reference block."""
    invoice, style = sheet.invoice, sheet.style
    rows: list[tuple[str, str, str | None]] = [
        (style.label("invoice_number"), invoice.number, "invoice_number"),
        (style.label("issue_date"), style.date(invoice.issue_date), "issue_date"),
    ]
    if sheet.shows("due_date"):
        rows.append((style.label("due_date"), style.date(invoice.due_date), "due_date"))
    if sheet.shows("customer_number"):
        rows.append((style.label("customer_number"), invoice.customer_number, None))
    if sheet.shows("purchase_order"):
        rows.append((style.label("purchase_order"), invoice.purchase_order, "purchase_order"))
    if sheet.look.currency_mode == "meta":
        rows.append((style.label("currency"), invoice.currency, "currency"))
    return rows


def draw_meta_right_of(sheet: Sheet, y: float) -> None:
    look = sheet.look
    label_x = look.width * 0.56
    value_x = look.width - look.margin
    for index, (label, value, tag) in enumerate(meta_rows(sheet)):
        row_y = y + look.pitch + index * look.size * 1.45
        sheet.label(label_x, row_y, label)
        sheet.value(value_x, row_y, value, tag, align="right")


def draw_meta_band(sheet: Sheet, y: float) -> None:
    """Reference fields side by side, each label above its value (boxed or not)."""
    look = sheet.look
    rows = meta_rows(sheet)
    cell = (look.width - 2 * look.margin) / len(rows)
    for index, (label, value, tag) in enumerate(rows):
        x = look.margin + index * cell
        if look.meta == "boxed":
            sheet.b.shape("rect", (x, y, x + cell - 4, y + 3.2 * look.size), stroke=look.accent)
        size = look.size * 0.75
        sheet.b.text(x + 4, y + 3, label, look.label_font, size, color=GREY, max_width=cell - 10)
        sheet.b.text(
            x + 4,
            y + 3 + size * 1.4,
            value,
            look.value_font,
            look.size,
            tag=tag,
            max_width=cell - 10,
        )


def draw_next_page_top(sheet: Sheet) -> float:
    look, style = sheet.look, sheet.style
    sheet.b.text(look.margin, look.margin, sheet.invoice.vendor.name, look.family.bold, look.size)
    reference = f"{style.label('invoice_number')} {sheet.invoice.number}"
    sheet.b.text(
        look.width - look.margin,
        look.margin,
        reference,
        look.family.regular,
        look.size,
        align="right",
    )
    return next_table_top(look)

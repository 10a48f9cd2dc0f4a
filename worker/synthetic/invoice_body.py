"""The body of an invoice page: the line-item table, the totals, payment details, the footer."""

from __future__ import annotations

from decimal import Decimal

from worker.synthetic.content import Item
from worker.synthetic.identifiers import group_iban
from worker.synthetic.invoice_look import COLUMN_WIDTH, NUMERIC, InvoiceLook, footer_top
from worker.synthetic.invoice_sheet import GREY, Sheet
from worker.synthetic.page import RGB
from worker.synthetic.truth import ITEM_TAG, payment_terms_text

Span = tuple[str, float, float]


def column_spans(look: InvoiceLook) -> list[Span]:
    """(column, left, right) for each table column; the description takes the rest."""
    fixed = sum(COLUMN_WIDTH[name] * look.size for name in look.columns if name != "description")
    description = look.width - 2 * look.margin - fixed
    spans, x = [], look.margin
    for name in look.columns:
        width = description if name == "description" else COLUMN_WIDTH[name] * look.size
        spans.append((name, x, x + width))
        x += width
    return spans


def light(color: RGB, amount: float = 0.85) -> RGB:
    r, g, b = color
    return (r + (1 - r) * amount, g + (1 - g) * amount, b + (1 - b) * amount)


def cell_x(span: Span, pad: float) -> tuple[float, str]:
    name, left, right = span
    return (right - pad, "right") if name in NUMERIC else (left + pad, "left")


def draw_table(sheet: Sheet, items: tuple[Item, ...], first_index: int, top: float) -> float:
    """The table header and rows from ``top``; returns the ``y`` below the last row."""
    look = sheet.look
    spans = column_spans(look)
    height = look.row_height * 1.2
    if look.header_fill:
        sheet.b.shape(
            "rect",
            (look.margin, top, look.width - look.margin, top + height),
            fill=look.accent,
            stroke=None,
        )
    else:
        for y in (top, top + height):
            sheet.b.shape("line", (look.margin, y, look.width - look.margin, y), width=0.8)
    color = (1.0, 1.0, 1.0) if look.header_fill else look.accent
    for span in spans:
        x, align = cell_x(span, 3)
        sheet.b.text(
            x,
            top + (height - look.size) / 2,
            sheet.style.label(span[0]),
            look.family.bold,
            look.size * 0.9,
            align=align,
            color=color,
            max_width=span[2] - span[1] - 4,
        )
    y = top + height
    for offset, item in enumerate(items):
        draw_row(sheet, spans, item, first_index + offset, y)
        y += look.row_height
    return y


def draw_row(sheet: Sheet, spans: list[Span], item: Item, index: int, y: float) -> None:
    look, style = sheet.look, sheet.style
    if look.zebra and index % 2:
        sheet.b.shape(
            "rect",
            (look.margin, y, look.width - look.margin, y + look.row_height),
            fill=light(look.accent, 0.92),
            stroke=None,
        )
    if look.grid:
        bottom = y + look.row_height
        sheet.b.shape(
            "line",
            (look.margin, bottom, look.width - look.margin, bottom),
            stroke=(0.7, 0.7, 0.7),
            width=0.4,
        )
    texts = {
        "pos": str(index + 1),
        "code": item.code,
        "description": item.description,
        "quantity": style.number(item.quantity),
        "unit": item.unit,
        "unit_price": style.amount(item.unit_price),
        "line_total": style.amount(item.line_total),
    }
    text_y = y + (look.row_height - look.size) / 2
    for span in spans:
        name = span[0]
        x, align = cell_x(span, 3)
        tag = None if name == "pos" else ITEM_TAG.format(index=index, name=name)
        if name == "tax_rate":
            percent = sheet.b.text(x, text_y, "%", look.family.regular, look.size, align="right")
            x, text = percent.x - look.size * 0.2, style.number(item.tax_rate)
        else:
            text = texts[name]
        sheet.b.text(
            x,
            text_y,
            text,
            look.family.regular,
            look.size,
            tag=tag,
            align=align,
            max_width=span[2] - span[1] - 6,
        )


def draw_carried(sheet: Sheet, items_so_far: tuple[Item, ...], y: float) -> None:
    """Bottom of a non-last page: the running subtotal and a "continued" note."""
    look, style = sheet.look, sheet.style
    running = sum((item.line_total for item in items_so_far), Decimal("0.00"))
    right = look.width - look.margin - 3
    sheet.b.shape("line", (look.width * 0.55, y + 2, look.width - look.margin, y + 2))
    sheet.label(right - 9 * look.size, y + 5, style.label("carried"), align="right")
    sheet.amount(right, y + 5, style.amount(running), None)
    sheet.b.text(
        look.margin,
        y + 5 + look.pitch,
        style.label("continued"),
        look.family.regular,
        look.size * 0.85,
        color=GREY,
    )


def totals_rows(sheet: Sheet) -> list[tuple[str, Decimal, str | None]]:
    """(label, amount, tag) of the totals block, top to bottom."""
    invoice, style = sheet.invoice, sheet.style
    rows: list[tuple[str, Decimal, str | None]] = []
    if sheet.shows("net_amount"):
        rows.append((style.label("net"), invoice.net, "net_amount"))
    if sheet.shows("tax_amount"):
        single = len(invoice.taxes) == 1
        for line in invoice.taxes:
            label = style.label("tax", rate=style.number(line.rate))
            rows.append((label, line.amount, "tax_amount" if single else None))
        if not single:
            rows.append((style.label("tax_total"), invoice.tax, "tax_amount"))
    rows.append((style.label("total"), invoice.total, "total_amount"))
    if invoice.paid:
        rows.append((style.label("paid"), -invoice.paid, None))
    if invoice.paid or sheet.shows("amount_due"):
        rows.append((style.label("amount_due"), invoice.amount_due, "amount_due"))
    return rows


def draw_totals(sheet: Sheet, y: float) -> float:
    look = sheet.look
    right = look.width - look.margin - 3
    label_right = right - 9.5 * look.size
    step = look.size * 1.5
    for label, amount, tag in totals_rows(sheet):
        strong = tag in {"total_amount", "amount_due"}
        if tag == "total_amount":
            sheet.b.shape(
                "line",
                (label_right - 60, y - 2, look.width - look.margin, y - 2),
                stroke=look.accent,
                width=0.8,
            )
        font = look.family.bold if strong else look.family.regular
        sheet.b.text(label_right, y, label, font, look.size, align="right")
        mode = look.currency_mode
        with_currency = mode == "symbol" or (mode == "code" and tag == "total_amount")
        currency_tag = "currency" if tag == "total_amount" else None
        sheet.amount(
            right,
            y,
            sheet.style.amount(amount),
            tag,
            currency=with_currency,
            currency_tag=currency_tag,
            font=font,
        )
        y += step
    return y


def draw_closing(sheet: Sheet, y: float) -> None:
    """Totals, then payment terms, bank details (when not in the footer) and thanks."""
    look, style = sheet.look, sheet.style
    y = draw_totals(sheet, y + 4) + look.pitch * 0.6
    if sheet.shows("payment_terms"):
        run = sheet.b.text(
            look.margin,
            y,
            style.label("payment_terms") + ": ",
            look.label_font,
            look.size,
            color=GREY,
        )
        sheet.b.text(
            run.box[2],
            y,
            payment_terms_text(sheet.invoice, style),
            look.family.regular,
            look.size,
            tag="payment_terms",
        )
        y += look.pitch
    if not look.bank_in_footer:
        y = draw_bank_lines(sheet, look.margin, y, look.size, width=look.width / 2)
    if sheet.shows("thanks"):
        sheet.b.text(
            look.margin,
            y + look.pitch * 0.5,
            style.label("thanks"),
            look.family.regular,
            look.size,
            color=look.accent,
        )


def draw_bank_lines(sheet: Sheet, x: float, y: float, size: float, *, width: float) -> float:
    """Bank name, IBAN and BIC (or a US account number) within ``width``; returns the ``y``
    below them."""
    look, style, invoice = sheet.look, sheet.style, sheet.invoice
    font = look.family.regular
    bank = f"{style.label('bank')}: {invoice.bank_name}"
    sheet.b.text(x, y, bank, font, size, max_width=width)
    y += size * 1.25
    pairs: list[tuple[str, str, str | None]] = []
    if sheet.shows("iban"):
        printed = group_iban(invoice.iban) if look.iban_grouped else invoice.iban
        pairs.append((style.label("iban"), printed, "iban"))
    elif invoice.vendor.country == "US":
        pairs.append((style.label("account"), invoice.iban[-10:], None))
    if sheet.shows("bic"):
        pairs.append((style.label("bic"), invoice.bic, "bic"))
    for label, value, tag in pairs:
        run = sheet.b.text(x, y, label + " ", font, size, color=GREY)
        sheet.b.text(run.box[2], y, value, font, size, tag=tag, max_width=x + width - run.box[2])
        y += size * 1.25
    return y


def draw_footer(sheet: Sheet, number: int, pages: int) -> None:
    look, vendor = sheet.look, sheet.invoice.vendor
    top = footer_top(look)
    size = look.size * 0.8
    sheet.b.shape(
        "line", (look.margin, top, look.width - look.margin, top), stroke=look.accent, width=0.6
    )
    third = (look.width - 2 * look.margin) / 3
    y = top + 4
    sheet.b.lines(
        look.margin,
        y,
        (vendor.name, *vendor.address),
        look.family.regular,
        size,
        max_width=third - 6,
    )
    if look.bank_in_footer:
        draw_bank_lines(sheet, look.margin + third, y, size, width=third - 6)
    x = look.margin + 2 * third
    if not look.tax_id_in_header and sheet.shows("vendor_tax_id"):
        key = "us_tax_id" if vendor.country == "US" else "vendor_tax_id"
        label = sheet.style.label(key) + " "
        run = sheet.b.text(x, y, label, look.family.regular, size, max_width=third * 0.45)
        room = x + third - run.box[2]
        sheet.b.text(
            run.box[2],
            y,
            vendor.tax_id,
            look.family.regular,
            size,
            tag="vendor_tax_id",
            max_width=room,
        )
    y += size * 1.25
    if not sheet.shows("contact"):
        contact = (vendor.phone, vendor.email)
        y = sheet.b.lines(x, y, contact, look.family.regular, size, max_width=third)
    if pages > 1:
        page = sheet.style.label("page", n=number, m=pages)
        sheet.b.text(
            look.width - look.margin,
            y + size * 1.25,
            page,
            look.family.regular,
            size,
            align="right",
        )

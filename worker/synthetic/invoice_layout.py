"""Invoice layouts: a look drawn onto one or more pages, totals on the last.

Multi-page invoices continue their line items on the next page under a short header and a
repeated table header; every page but the last ends with a "carried forward" subtotal.
"""

from __future__ import annotations

from worker.synthetic.content import Invoice
from worker.synthetic.invoice_body import draw_carried, draw_closing, draw_footer, draw_table
from worker.synthetic.invoice_header import draw_first_page_top, draw_next_page_top
from worker.synthetic.invoice_look import InvoiceLook, split_items
from worker.synthetic.invoice_sheet import Sheet
from worker.synthetic.locales import Style
from worker.synthetic.page import Page, PageBuilder


def draw_invoice(invoice: Invoice, style: Style, look: InvoiceLook, pages: int) -> tuple[Page, ...]:
    chunks = split_items(invoice.items, look, pages)
    drawn: list[Page] = []
    first_index = 0
    for number, chunk in enumerate(chunks, start=1):
        sheet = Sheet(PageBuilder(look.width, look.height), invoice, style, look)
        top = draw_first_page_top(sheet) if number == 1 else draw_next_page_top(sheet)
        y = draw_table(sheet, chunk, first_index, top)
        first_index += len(chunk)
        if number < len(chunks):
            draw_carried(sheet, invoice.items[:first_index], y)
        else:
            draw_closing(sheet, y + 6)
        draw_footer(sheet, number, len(chunks))
        drawn.append(sheet.b.build())
    return tuple(drawn)

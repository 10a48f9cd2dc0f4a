"""The page an invoice is being drawn on, with the helpers every invoice block shares."""

from __future__ import annotations

from dataclasses import dataclass

from worker.synthetic.content import Invoice
from worker.synthetic.fonts import text_width
from worker.synthetic.invoice_look import InvoiceLook
from worker.synthetic.locales import SYMBOLS, Style
from worker.synthetic.page import RGB, PageBuilder

GREY: RGB = (0.4, 0.4, 0.4)
WHITE: RGB = (1.0, 1.0, 1.0)


@dataclass
class Sheet:
    """One page being drawn, with the document-wide context every helper needs."""

    b: PageBuilder
    invoice: Invoice
    style: Style
    look: InvoiceLook

    def label(self, x: float, y: float, text: str, *, align: str = "left") -> None:
        self.b.text(x, y, text, self.look.label_font, self.look.size, align=align, color=GREY)

    def value(
        self, x: float, y: float, text: str, tag: str | None, *, align: str = "left"
    ) -> float:
        run = self.b.text(x, y, text, self.look.value_font, self.look.size, tag=tag, align=align)
        return run.box[2]

    def shows(self, name: str) -> bool:
        return name in self.look.shown

    def amount(
        self,
        right: float,
        y: float,
        text: str,
        tag: str | None,
        *,
        currency: bool = False,
        currency_tag: str | None = None,
        font: str | None = None,
    ) -> None:
        """An amount right-aligned at ``right``, with the currency where the look puts one."""
        font = font or self.look.family.regular
        size = self.look.size
        mark = self.currency_mark() if currency else ""
        if not mark:
            self.b.text(right, y, text, font, size, tag=tag, align="right")
            return
        gap = 0.0 if mark in {"$", "£"} else size * 0.3
        if self.style.locale.symbol_first:
            run = self.b.text(right, y, text, font, size, tag=tag, align="right")
            self.b.text(run.x - gap, y, mark, font, size, tag=currency_tag, align="right")
        else:
            self.b.text(right, y, mark, font, size, tag=currency_tag, align="right")
            self.b.text(
                right - text_width(mark, font, size) - gap,
                y,
                text,
                font,
                size,
                tag=tag,
                align="right",
            )

    def currency_mark(self) -> str:
        mode, code = self.look.currency_mode, self.invoice.currency
        if mode == "symbol":
            return SYMBOLS.get(code, code)
        return code if mode == "code" else ""

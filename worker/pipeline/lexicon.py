"""The words invoices and receipts use to label their fields, in English, German, French and Dutch.

Each field has a list of ``(pattern, weight)``: the weight (0..1) says how surely the label
names that field ("Invoice number" surely, a bare "Date" less so). Patterns are matched
case-insensitively against one cell of a line. ``NOT_ISSUE_DATE`` and friends name the labels
whose values must not be taken for another field (a due date is not the issue date).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

Label = tuple[re.Pattern[str], float]


def _labels(*items: tuple[str, float]) -> tuple[Label, ...]:
    return tuple((re.compile(pattern, re.IGNORECASE), weight) for pattern, weight in items)


_NO = r"(?:number|numbre|num\b|no\b\.?|nr\b\.?|n[°ºo]\.?|#|nummer|numéro|id\b)"

INVOICE_NUMBER = _labels(
    (rf"\b(?:invoice|inv\.?|bill)\s*{_NO}", 1.0),
    (rf"\b(?:handels|schluss)?rechnungs?\s*-?\s*{_NO}", 1.0),
    (r"\b(?:re|rg)\.?\s*-\s*nr\b\.?|\bre\.\s*nr\b\.?", 0.9),  # "Re.-Nr.", "Rg.-Nr.", "RE-Nr"
    (rf"\bfact(?:ure|uur)\s*{_NO}", 1.0),
    (r"\bfactuurnummer|\bfacture\s*n|\bn[°º]\s*(?:de\s*)?facture|numéro\s*de\s*facture", 1.0),
    (r"\b(?:beleg|dokument|document|receipt|slip|tax\s*invoice)\s*-?\s*" + _NO, 0.75),
    (r"\b(?:invoice|rechnung|facture|factuur|handelsrechnung|gutschrift|credit\s*note)\b", 0.6),
    (r"^(?:number|nummer|numéro|no\.?|nr\.?)\s*:?$", 0.5),  # a bare "Nummer" heading a column
)

ISSUE_DATE = _labels(
    (r"\b(?:invoice|billing|bill|issue|tax\s*point)\s*date|date\s*of\s*(?:invoice|issue)", 1.0),
    (r"\bissued\s*(?:on|at)?|\bdated\b", 0.9),
    (r"rechnungsdatum|belegdatum|beleg-datum|ausstellungsdatum|rechnungs-datum", 1.0),
    (r"date\s*(?:de\s*(?:la\s*)?)?facture|date\s*d['’]émission|factuurdatum", 1.0),
    (r"\bsales\s*date|\bdate\b|\bdatum\b", 0.7),
    # "Rechnung Nr. 471102 vom 05.06.2018", "Facture n° 12 du 03/02/2021": "vom" and "du" say
    # "dated" only after the document's name or number ("Version 2.1 vom ..." is no invoice).
    (r"(?:rechnung|gutschrift|beleg|facture|avoir|\bnr\b|n[°º])[^:]{0,40}?\b(?:vom|du)\b", 0.6),
)

DUE_DATE = _labels(
    (r"\bdue\s*date|payment\s*due|date\s*due|\bdue\s*(?:on|by)\b|pay(?:able)?\s*by", 1.0),
    (r"fällig(?:keit|keitsdatum)?(?:\s*am)?|zahlungsziel|zahlbar\s*bis", 1.0),
    (r"\bzahlbar\b.*?\bbis\b|\bbis\s*zum\b|\bremit\s*(?:until|by)\b", 0.8),
    (r"échéance|date\s*limite|payable\s*(?:avant|le)|(?:r[ée]gler|payer)\s*avant", 1.0),
    (r"vervaldatum|vervaldag|uiterste\s*betaaldatum|betalen\s*voor", 1.0),
    (r"^(?:due|fällig)\s*:?$", 0.8),  # a bare "Due" beside "Issued"
)

# Dates printed next to these labels are never the issue date.
NOT_ISSUE_DATE = re.compile(
    r"due|fällig|échéance|verval|\border|bestell|commande|deliver|liefer|leistung|livraison|"
    r"service|period|zeitraum|période|printed|exp|valid|gültig|remit|bis\b|until|"
    r"\bskonto|version|\bstand\b|orderdatum|\bvan\b|geboren|birth",
    re.IGNORECASE,
)

# Receipts abbreviate "amount" and print the currency inside the label: "Total Amt Due",
# "Total RM incl. SST", "Total EUR inkl. MwSt".
_AMT = r"(?:am(?:oun)?t\.?|rm|rs\.?|eur|usd|gbp|chf|inr|myr|sgd|[$€£¥₹])"
TOTAL = _labels(
    (rf"grand\s*total|total\s*(?:{_AMT}\s*)?(?:due|payable)|amount\s*(?:due|payable)", 1.0),
    (
        rf"balance\s*due|total\s*(?:{_AMT}\s*)?(?:incl|inkl|inc\b|after\s*rounding)|"
        r"rounded\s*total",
        1.0,
    ),
    (r"\bnett\s*total|total\s*sales\s*(?:\(?\s*)?incl|total\s*payable", 1.0),
    (r"due\s*payable|total\s*to\s*pay|amount\s*to\s*pay|total\s*amount|invoice\s*total", 1.0),
    (r"gesamtbetrag|rechnungsbetrag|endbetrag|bruttobetrag|zahlbetrag|zu\s*zahlen", 1.0),
    (r"bruttosumme|gesamtsumme|summe\s*brutto|rechnungssumme(?!\s*(?:netto|ohne))", 1.0),
    (r"(?:rechnungs)?summe\s*(?:inkl|brutto)|gesamtsumme|brutto\s*gesamt|gesamt\s*brutto", 1.0),
    (r"total\s*ttc|montant\s*ttc|net\s*à\s*payer|montant\s*(?:total|dû)|total\s*à\s*payer", 1.0),
    (r"totaal\s*(?:incl|te\s*betalen)|te\s*betalen|totaalbedrag|totaal\s*bedrag", 1.0),
    (r"\btotal\b|\btotaal\b|\bsumme\b|\bgesamt\b", 0.6),
)
# A "total" with one of these words is a subtotal, a count, a tax or a payment, not the total.
NOT_TOTAL = re.compile(
    r"sub\s*-?\s*tota|\bexcl|\bexkl|\bohne\b|\bnet(?:to)?\b(?!\s*total)|\bht\b|\bqty|quantity|"
    r"\bitems?\b|discount|rabatt|remise|korting|saving|\btax\b|\bgst\b|\bvat\b|\bsst\b|"
    r"\bmwst|\bust\b|\btva\b|\bbtw\b|change|cash|tendered|rounding\s*adj|\bpaid\b|"
    r"betaald|vorauszahlung|anzahlung|acompte|\bpoints?\b|warenwert|gewicht|weight|"
    r"\bcount\b|ersparnis|\bcredits?\b|\bcharges?\s*\(|basis|zwischensumme|tagen|"
    r"summary|aufschlüsselung|récapitulatif|overzicht",
    re.IGNORECASE,
)

# Amounts that are never the document's total, however strongly labelled.
NEVER_TOTAL = re.compile(
    r"zuschl|abschl|\bder\s*(?:zu|ab)|rabatt|discount|skonto|anzahlung|vorauszahlung|"
    r"prepaid|deposit|acompte|gutschrift\s*aus",
    re.IGNORECASE,
)

# What is still to pay: after a prepayment it differs from the total, otherwise it repeats it.
AMOUNT_DUE = _labels(
    (r"amount\s*due|balance\s*due|please\s*pay|amount\s*payable|total\s*(?:amt\s*)?due", 1.0),
    (r"zu\s*zahlen|zahlbetrag|restbetrag|offener\s*betrag|noch\s*offen", 1.0),
    (r"net\s*à\s*payer|reste\s*à\s*payer|montant\s*dû|solde\s*(?:à\s*régler|dû)", 1.0),
    (r"te\s*betalen|openstaand\s*bedrag|totaal\s*te\s*voldoen", 1.0),
)
# A prepayment printed between two totals: the one after it is what is left to pay.
PREPAYMENT = re.compile(
    r"anzahlung|vorauszahlung|bereits\s*(?:bezahlt|gezahlt)|prepaid|prepayment|deposit|"
    r"paid\s*to\s*date|already\s*paid|acompte|déjà\s*(?:payé|réglé)|aanbetaling|"
    r"vooruitbetaling|reeds\s*betaald",
    re.IGNORECASE,
)

# Payments on a receipt: what was handed over, and what came back.
TENDERED = re.compile(r"^(?:cash|tendered|paid|bar|espèces|contant|amount\s*tendered)\b", re.I)
CHANGE = re.compile(r"^(?:change|rückgeld|wisselgeld|monnaie|rendu)\b", re.I)

NET = _labels(
    (r"sub\s*-?\s*total|subtotaal|zwischensumme|sous[-\s]*total", 0.8),
    (r"total\s*(?:excl|exkl|before\s*tax|net|ht)\b|net\s*(?:total|amount)|total\s*ht", 1.0),
    (r"(?:summe|betrag|rechnungssumme|gesamt)\s*netto|netto\s*(?:summe|betrag|gesamt)", 1.0),
    (r"nettobetrag|warenwert\s*netto|montant\s*ht|\bht\b\s*:|excl(?:usief|\.)\s*btw", 1.0),
    (r"totaal\s*excl|netto\s*bedrag|total\s*sales\s*\(?excl|amount\s*excl", 1.0),
    (r"(?:summe|betrag)\s*ohne\s*(?:ust|mwst|steuer)|nettosumme|positionssumme\s*netto", 1.0),
)
NOT_NET = re.compile(r"\bincl|\binkl|\bttc\b|brutto|\bgross|zahlbar|tagen|days\b", re.IGNORECASE)

TAX = _labels(
    (r"\b(?:vat|tax|gst|sst|hst|mwst|ust|tva|btw)\b\s*(?:amount|total|betrag|\d)", 1.0),
    (r"total\s*(?:vat|tax|gst|sst|mwst)|(?:vat|tax)\s*total|umsatzsteuer|mehrwertsteuer", 1.0),
    (r"mwst-?betrag|ust-?betrag|steuerbetrag|montant\s*(?:de\s*la\s*)?tva|btw\s*bedrag", 1.0),
    (r"zuzügl(?:ich|\.)?\s*(?:ust|mwst)|plus\s*(?:vat|tax)|steuerbasisbetrag", 0.9),
    (r"\b(?:vat|tax|gst|sst|mwst|ust|tva|btw|iva)\b", 0.7),
)
NOT_TAX = re.compile(
    r"\bincl|\binkl|\bexcl|\bttc\b|\bid\b|\bno\b|nummer|\bnr\b|reg\b|invoice|summary|"
    r"identn|\brate\b|code|basis\s*(?!betrag)|exempt|ohne|%\s*on\b|summary|aufschlüsselung",
    re.IGNORECASE,
)

CURRENCY = _labels(
    (r"currency|währung|devise|valuta|beträge\s*in|amounts?\s*in|montants?\s*en", 1.0),
)

PURCHASE_ORDER = _labels(
    (rf"\bp\.?\s*o\.?\s*{_NO}|purchase\s*order(?:\s*{_NO})?|your\s*order|order\s*{_NO}", 1.0),
    (rf"bestell(?:ung|nummer|-?\s*nr\b\.?)|ihre\s*bestellung|auftrags?\s*-?\s*{_NO}", 1.0),
    (rf"(?:bon\s*de\s*)?commande\s*{_NO}?|votre\s*commande|ordernummer|bestelnummer", 1.0),
)

PAYMENT_TERMS = _labels(
    (r"payment\s*terms|terms\s*of\s*payment|zahlungsbedingungen|zahlungsziel", 1.0),
    (r"conditions\s*de\s*(?:paiement|règlement)|betalingsvoorwaarden|betalingstermijn", 1.0),
)

VENDOR = _labels(
    (r"^(?:sold\s*by|seller|vendor|supplier|service\s*provider|issued\s*by|from)\b", 1.0),
    (r"^(?:verkäufer|lieferant|rechnungssteller|rechnungsersteller|leistungserbringer)\b", 1.0),
    (r"^(?:vendeur|fournisseur|émetteur|prestataire|leverancier|verkoper|afzender)\b", 1.0),
)
CUSTOMER = _labels(
    (
        r"^(?:bill(?:ed)?\s*to|invoice\s*to|sold\s*to|billing\s*address|customer|client|buyer)\b",
        1.0,
    ),
    (r"^(?:rechnungsempfänger|käufer|kunde|leistungsempfänger|rechnungsanschrift)\b", 1.0),
    (r"^(?:facturé\s*à|destinataire|acheteur|adresse\s*de\s*facturation)\b", 1.0),
    (r"^(?:gefactureerd\s*aan|factureren\s*aan)\b", 1.0),
    (r"^(?:factuuradres|klant|afnemer|koper|ship\s*to|deliver\s*to|lieferanschrift)\b", 0.7),
    (r"^(?:an|aan)\s*:?$|^to\s*:$", 0.8),  # "An" alone over the addressee's block
)

VAT_ID = _labels(
    (r"\b(?:vat|tva|btw|iva|mwst|gst)\s*(?:-?\s*(?:id|reg|no|nr|number|n°|nummer)\.?)*", 0.9),
    (r"ust\.?\s*-?\s*id(?:ent)?\.?\s*-?\s*(?:nr|no|nummer)?\.?|umsatzsteuer-?id|tax\s*id", 1.0),
    (r"n°\s*(?:de\s*)?tva|numéro\s*de\s*tva|btw-?(?:nummer|nr)|tin\b|vat/tin", 1.0),
    (r"\buid\s*-?\s*(?:nr|no|nummer)?\.?", 1.0),  # Austria and Switzerland: "UID-Nr."
)
CUSTOMER_MARK = re.compile(
    r"\b(?:ihre|your|customer|client|kunden?|acheteur|käufer|buyer|uw|votre)\b", re.IGNORECASE
)

BIC_LABEL = re.compile(r"\b(?:bic|swift)\b", re.IGNORECASE)

# Titles and boilerplate that are never a party's name.
NOT_A_NAME = re.compile(
    r"^(?:tax\s*)?invoice\b|^(?:handels)?rechnung\b|^facture\b|^factuur\b|^receipt\b|"
    r"^quittung|^kassenbon|^bon\b|^reçu|^credit\s*note|^gutschrift|^stylesheet|^page\b|"
    r"^seite\b|^copy\b|^original\b|^rechnungs-|^k\s+o\s+s\s+t\s+e\s+n|^cash\s*bill|^bill\b|"
    r"^tel\b|^phone|^fax\b|^e-?mail|^www\.|^http|^gst\b|^vat\b|^ust|^date\b|^datum\b|"
    r"^kontakt|^contact|^summary|^thank",
    re.IGNORECASE,
)

# Lines of an address block that end it (contact data and identifiers, not the address).
# How to reach a company: "Tel.", "T (836) 182-4576", "F +49 ...", an e-mail or web address.
CONTACT = re.compile(
    r"\btel\b|telefon|phone|\bfax\b|e-?mail|@|www\.|http|^[tfm]\.?:?\s*[+(]?\d|\btél\b|\bmob\b",
    re.IGNORECASE,
)
ADDRESS_STOP = re.compile(
    CONTACT.pattern + r"|\bgst\b|\bvat\b|\bust|\btva\b|"
    r"\bbtw\b|\bkvk\b|\bgln\b|\biban\b|\bbic\b|steuer|invoice|rechnung|facture|factuur|"
    r"\bdate\b|\bdatum\b|\bnummer|\bkunden-?nr|receipt|cashier|\bdoc",
    re.IGNORECASE,
)
# Parenthesised or labelled registration numbers printed under a company's name on receipts.
REGISTRATION = re.compile(
    r"^\(?\s*(?:co\.?\s*(?:reg|no)|company\s*no|reg|roc|gst\s*(?:reg|id)|\d{4,}\s*-?\s*[a-z]\)?$)",
    re.IGNORECASE,
)

# Not after a number: "1 kg" is a weight, "2 AG" no company.
LEGAL_FORM = re.compile(
    r"(?<!\d )(?<!\d)"
    r"\b(?:gmbh|ag|kg|ohg|ug|mbh|gbr|e\.\s?k|b\.\s?v|bv|n\.\s?v|nv|v\.o\.f|ltd|limited|llc|"
    r"l\.l\.c|inc|corp|corporation|plc|llp|pvt|sdn|bhd|berhad|enterprise|trading|sarl|"
    r"s\.a\.r\.l|sas|s\.a\.s|eurl|sasu|s\.a|(?-i:SpA)|s\.p\.a|srl|s\.r\.l|oy|gmbh\s*&\s*co)\b\.?",
    re.IGNORECASE,
)

COUNTRY_CODES: Mapping[str, str] = {
    "deutschland": "DE", "germany": "DE", "france": "FR", "nederland": "NL",
    "netherlands": "NL", "belgië": "BE", "belgique": "BE", "belgium": "BE", "österreich": "AT",
    "austria": "AT", "schweiz": "CH", "suisse": "CH", "switzerland": "CH", "united states": "US",
    "usa": "US", "united kingdom": "GB", "malaysia": "MY", "india": "IN", "luxembourg": "LU",
}  # fmt: skip

TITLE_WORDS: Sequence[str] = ("invoice", "rechnung", "facture", "factuur", "receipt")

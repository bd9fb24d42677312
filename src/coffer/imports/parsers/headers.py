"""Guessing what a CSV column holds from its header, in English, German, French, Spanish
and Dutch: the languages of the bank exports Coffer's first users bring.

Names are compared folded: lower case, accents dropped, punctuation as spaces, so
"Buchungstag", "Date d'opération" and "Betrag (EUR)" match "buchungstag",
"date d operation" and "betrag".
"""

from __future__ import annotations

import re
import unicodedata

# Most specific first within each role; a column is taken by the first role that claims it.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "date": (
        "date",
        "transaction date",
        "posting date",
        "posted date",
        "booking date",
        "trans date",
        "buchungstag",
        "buchungsdatum",
        "datum",
        "date d operation",
        "date operation",
        "date comptable",
        "date de l operation",
        "fecha",
        "fecha operacion",
        "fecha contable",
        "fecha de operacion",
        "boekdatum",
        "transactiedatum",
        "value date",
        "wertstellung",
        "valutadatum",
        "date de valeur",
        "fecha valor",
        "rentedatum",
    ),
    "amount": (
        "amount",
        "transaction amount",
        "betrag",
        "umsatz",
        "montant",
        "montant eur",
        "importe",
        "cantidad",
        "bedrag",
        "value",
    ),
    "debit": (
        "debit",
        "paid out",
        "money out",
        "withdrawal",
        "withdrawals",
        "outflow",
        "debit amount",
        "soll",
        "lastschrift",
        "ausgang",
        "ausgabe",
        "debit eur",
        "cargo",
        "cargos",
        "debito",
        "af",
        "debet",
    ),
    "credit": (
        "credit",
        "paid in",
        "money in",
        "deposit",
        "deposits",
        "inflow",
        "credit amount",
        "haben",
        "gutschrift",
        "eingang",
        "einnahme",
        "credit eur",
        "abono",
        "abonos",
        "credito",
        "bij",
    ),
    "payee": (
        "payee",
        "name",
        "merchant",
        "counterparty",
        "beneficiary",
        "payer payee",
        "beguenstigter zahlungspflichtiger",
        "begunstigter zahlungspflichtiger",
        "auftraggeber empfanger",
        "empfanger",
        "zahlungsempfanger",
        "name zahlungsbeteiligter",
        "beneficiaire",
        "tiers",
        "beneficiario",
        "naam",
        "tegenpartij",
        "naam tegenpartij",
        "naam omschrijving",
        "zahlungsempfanger in",
        "description",
        "omschrijving",
        "libelle",
    ),
    # Exports that name both sides: the payer is the counterparty of money coming in.
    "payer": (
        "payer",
        "zahlungspflichtige r",
        "zahlungspflichtiger",
        "auftraggeber",
        "remitter",
        "ordenante",
        "donneur d ordre",
    ),
    "memo": (
        "memo",
        "notes",
        "note",
        "reference",
        "description",
        "verwendungszweck",
        "buchungstext",
        "vorgang",
        "libelle",
        "detail",
        "commentaire",
        "reference",
        "concepto",
        "descripcion",
        "observaciones",
        "omschrijving",
        "mededelingen",
    ),
    "currency": ("currency", "currency code", "wahrung", "waehrung", "devise", "moneda", "munt"),
    "category": ("category", "kategorie", "categorie", "categoria"),
    "external_id": ("transaction id", "reference number", "id", "fitid", "referenz"),
}

_SEPARATORS = re.compile(r"[^0-9a-z]+")
# "Betrag (EUR)" and "Amount (GBP)" are the amount column whatever the currency.
_CURRENCY_SUFFIX = re.compile(r" (eur|usd|gbp|chf)$")


def fold(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name.strip().lstrip("\ufeff").casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    plain = plain.replace("ß", "ss")
    return _CURRENCY_SUFFIX.sub("", _SEPARATORS.sub(" ", plain).strip())


def guess_roles(header: list[str]) -> dict[str, int]:
    """Role ("date", "amount", "payee", ...) to the position of the column that fills it."""
    folded = [fold(name) for name in header]
    taken: set[int] = set()
    roles: dict[str, int] = {}
    for role, names in SYNONYMS.items():
        for name in names:
            position = next((i for i, f in enumerate(folded) if f == name and i not in taken), None)
            if position is not None:
                roles[role] = position
                taken.add(position)
                break
    return roles

"""The language of a customer's messages, and dates written out in it.

A customer's language comes from their order (``orders.locale``: Shopify ``customer_locale``,
WooCommerce order meta), else the shop's ``notify.language``, else English. Only languages the
connector ships default texts in are chosen; "nl-BE", "nl_NL" and "NL" are all Dutch.
Dates are written out with Babel's CLDR data: "Tuesday 15 December 2026", "dinsdag 15 december 2026".
"""

from __future__ import annotations

from datetime import date

from babel.dates import format_date

DEFAULT = "en"
LANGUAGES: dict[str, str] = {"en": "English", "nl": "Nederlands"}
"""The languages every customer message kind ships in: code -> its own name."""
LONG_DATE = "EEEE d MMMM y"
"""CLDR pattern of a date written out: weekday, day, month name, year."""
DAY_MONTH = "EEEE d MMMM"
"""The same without the year, for a near date in a subject: "Friday 15 January", "vrijdag 15 januari"."""


def language_of(locale: str | None) -> str | None:
    """The shipped language a store locale names ("nl-BE" -> "nl"), or None when it names none of them."""
    if not locale or not isinstance(locale, str):
        return None
    code = locale.strip().replace("_", "-").split("-")[0].lower()
    return code if code in LANGUAGES else None


def choose(order_locale: str | None, shop_language: str | None) -> str:
    """The language of one customer's messages: their order's, else the shop's default, else English."""
    return language_of(order_locale) or language_of(shop_language) or DEFAULT


def long_date(value: date | None, language: str = DEFAULT, *, year: bool = True) -> str:
    """A specific date written out in ``language``; "" for no date. ``year=False``: without the year."""
    if value is None:
        return ""
    return format_date(value, LONG_DATE if year else DAY_MONTH, locale=language if language in LANGUAGES else DEFAULT)

"""How an amount of money reads, on every page, card, document and message: one rule, one place.

The rule: rounded half up to the cent, thousands grouped, cents shown only when the amount has
them, the currency code after the amount — "90,000 EUR", "1,234.50 EUR", "-12 SEK". An overview
("90,000 EUR") and a line of a quote ("110 EUR", "297.50 EUR") then read alike, and no page shows
"90000 EUR" or "90,000.00 EUR" for the same deal.

Separators already follow the active language (Django's number formats: "90 000" in Swedish).
Where the currency goes and how it is written (code or symbol) is decided only in `format_money`,
so making that locale-aware too changes this module and nothing else.
"""

import functools
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.formats import get_format, number_format
from django.utils.translation import get_language

CENT = Decimal("0.01")


def format_amount(amount, *, whole: bool = False) -> str:
    """`amount` (Decimal, int, float or numeric string) by the money rule, without a currency;
    "" for None, "" or anything that is not a finite number. `whole` rounds to whole units first:
    a total in a narrow place (a board column's figures) where cents only push it out of view."""
    if amount is None or amount == "" or isinstance(amount, bool):
        return ""
    try:
        # str() first: Decimal(0.1) would carry the float's binary error into the cents.
        value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
        if not value.is_finite():
            return ""
        cents = value.quantize(Decimal(1) if whole else CENT, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError, TypeError):
        return ""
    if cents.is_zero():
        cents = abs(cents)  # -0.001 rounds to -0.00: show "0", not "-0"
    whole = cents == cents.to_integral_value()
    separators = _separators(get_language())
    if separators is None:
        return number_format(cents, decimal_pos=0 if whole else 2, use_l10n=True, force_grouping=True)
    # Python's grouping by threes, then the language's separators: what number_format() writes
    # for such a language, several times faster (a board shows a few hundred amounts).
    decimal_separator, thousand_separator = separators
    text = format(cents, ",.0f" if whole else ",.2f")
    return text.replace(",", "\0").replace(".", decimal_separator).replace("\0", thousand_separator)


@functools.lru_cache(maxsize=64)
def _separators(language: str | None) -> tuple[str, str] | None:
    """The language's decimal and thousand separators when it groups digits by threes (nearly
    every language); None for another grouping (number_format() handles those)."""
    if get_format("NUMBER_GROUPING", language, use_l10n=True) != 3:
        return None
    return (
        str(get_format("DECIMAL_SEPARATOR", language, use_l10n=True)),
        str(get_format("THOUSAND_SEPARATOR", language, use_l10n=True)),
    )


def format_money(amount, currency: str | None = "") -> str:
    """`amount` by the money rule followed by its currency code ("90,000 EUR"); only the amount
    when no currency is given (a table whose column or row names the currency); "" for no amount."""
    number = format_amount(amount)
    if not number or not currency:
        return number
    return f"{number} {currency}"

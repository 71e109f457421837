"""Money as integer minor units. Exponents come from the ISO 4217 tables (the iso4217
package tracks the standard), and there is one rounding rule: half up, once per line."""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from math import floor

from iso4217 import Currency

from seats.errors import InvalidContract


def exponent(currency: str) -> int:
    """Minor digits of a currency (USD 2, JPY 0, KWD 3). Codes without minor units in the
    standard (gold, test codes) cannot be priced in."""
    try:
        digits = Currency(currency).exponent
    except ValueError:
        digits = None
    if digits is None:
        raise InvalidContract(f"{currency!r} is not an ISO 4217 currency with minor units")
    return digits


def round_half_up(value: Fraction) -> int:
    """Amounts here are never negative; half up means 0.5 → 1."""
    if value < 0:
        raise ValueError("amounts are never negative")
    return floor(value + Fraction(1, 2))


def to_major(amount_minor: int, currency: str) -> Decimal:
    return Decimal(amount_minor).scaleb(-exponent(currency))


def format_amount(amount_minor: int, currency: str) -> str:
    """"USD 1,250.00", "JPY 150,904", "KWD 1.500" — for invoices and messages."""
    digits = exponent(currency)
    return f"{currency} {to_major(amount_minor, currency):,.{digits}f}"

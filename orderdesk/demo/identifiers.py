"""Ukrainian identifiers that pass their real check digits, so demo data looks and validates
like the real thing: ЄДРПОУ (legal entities), РНОКПП/ІПН (people), VAT payer numbers, IBAN UA.
"""

from __future__ import annotations

import datetime as dt
import random

# ЄДРПОУ: the weights depend on where the number falls (Держстат's algorithm).
_EDRPOU_BASE = (1, 2, 3, 4, 5, 6, 7)
_EDRPOU_ALT = (7, 1, 2, 3, 4, 5, 6)
# РНОКПП: five digits of the birth date (days since 31.12.1899), four of serial, one check.
_RNOKPP_WEIGHTS = (-1, 5, 7, 9, 4, 6, 10, 5, 7)
_RNOKPP_EPOCH = dt.date(1899, 12, 31)


def edrpou_check_digit(first7: str) -> str:
    value = int(first7 + "0")
    weights = _EDRPOU_ALT if 30000000 < value < 60000000 else _EDRPOU_BASE
    total = sum(w * int(d) for w, d in zip(weights, first7, strict=True))
    if total % 11 == 10:
        total = sum((w + 2) * int(d) for w, d in zip(weights, first7, strict=True))
    return str(total % 11 % 10)


def edrpou_valid(code: str) -> bool:
    return len(code) == 8 and code.isdigit() and edrpou_check_digit(code[:7]) == code[7]


def edrpou(rng: random.Random) -> str:
    """An 8-digit ЄДРПОУ of the kind a company registered since the 2000s gets."""
    first7 = str(rng.randint(3000000, 4499999))
    return first7 + edrpou_check_digit(first7)


def rnokpp_check_digit(first9: str) -> str:
    total = sum(w * int(d) for w, d in zip(_RNOKPP_WEIGHTS, first9, strict=True))
    return str(total % 11 % 10)


def rnokpp_valid(code: str) -> bool:
    return len(code) == 10 and code.isdigit() and rnokpp_check_digit(code[:9]) == code[9]


def rnokpp(rng: random.Random, *, born: dt.date, female: bool) -> str:
    """A 10-digit РНОКПП (ІПН) of a person born on `born`; the 9th digit is even for women."""
    days = (born - _RNOKPP_EPOCH).days
    serial = rng.randint(0, 999) * 10 + rng.choice((0, 2, 4, 6, 8) if female else (1, 3, 5, 7, 9))
    first9 = f"{days:05d}{serial:04d}"
    return first9 + rnokpp_check_digit(first9)


def vat_number(rng: random.Random, *, tax_id: str, region: str) -> str:
    """A 12-digit VAT payer number (ІПН платника ПДВ): a legal entity's starts with its
    ЄДРПОУ digits, then the region code of the tax office."""
    return f"{tax_id[:7]}{region}{rng.randint(0, 999):03d}"


def iban_ua(rng: random.Random, *, mfo: str) -> str:
    """A Ukrainian IBAN: UA, two check digits, the bank's 6-digit МФО, a 19-digit account."""
    account = "00000" + "2600" + f"{rng.randint(0, 9_999_999_999):010d}"
    bban = mfo + account
    return f"UA{iban_check_digits('UA', bban)}{bban}"


def iban_check_digits(country: str, bban: str) -> str:
    digits = "".join(str(int(ch, 36)) for ch in bban + country + "00")
    return f"{98 - int(digits) % 97:02d}"


def iban_valid(iban: str) -> bool:
    moved = iban[4:] + iban[:4]
    return int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1


# KMU resolution No. 55 of 27.01.2010: the official Ukrainian -> Latin transliteration.
_TRANSLIT = {
    "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "є": "ie",
    "ж": "zh", "з": "z", "и": "y", "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l",
    "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
    "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ь": "", "ю": "iu",
    "я": "ia", "'": "", "’": "",
}  # fmt: skip
_TRANSLIT_INITIAL = {"є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"}


def translit(text: str) -> str:
    """Lower-case Latin spelling of a Ukrainian word (for e-mail addresses)."""
    out = []
    prev = ""
    for ch in text.lower():
        if ch == "г" and prev == "з":
            out.append("gh")
        elif not prev and ch in _TRANSLIT_INITIAL:
            out.append(_TRANSLIT_INITIAL[ch])
        else:
            out.append(_TRANSLIT.get(ch, ch))
        prev = ch if ch.isalpha() or ch in "'’" else ""
    return "".join(out)

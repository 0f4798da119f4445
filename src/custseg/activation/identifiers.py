"""Normalising and hashing contact identifiers for audience exports.

Every function here is pure and works on one value; ``None`` (or NaN) in gives ``None`` out,
and so does a value that cannot be normalised. Hashes are SHA-256 of the UTF-8 bytes of the
normalised value, as lower-case hex, which is what both ad platforms expect.

Platform rules (from the platforms' public documentation):

* **Google Customer Match** (hashed upload, Google Ads help "Formatting guidelines for
  uploading hashed data"; Google Ads API Customer Match normalisation): email trimmed and
  lower-cased; phone in E.164 *with* its ``+`` before hashing; first and last name trimmed,
  lower-cased and without extra spaces before hashing; ``Country`` and ``Zip`` are sent
  **unhashed** ("If you upload a hashed data file, don't hash Country and Zip data").
* **Meta custom audiences** (Marketing API "Hashing and normalizing data", customer-list
  formatting guide): email trimmed and lower-cased; phone as digits only with the country
  code and no ``+`` or leading zeros; ``fn``/``ln`` lower-case without punctuation (letters
  with accents kept, UTF-8); ``country`` the lower-case ISO 3166-1 alpha-2 code. All hashed.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class CallingCode:
    """Dialling facts of one country, enough to turn a national number into E.164.

    Attributes:
        calling_code: ITU country calling code, digits only (``"49"``).
        trunk_prefix: Digits dialled before a national number inside the country and dropped
            in E.164 (``"0"`` in Germany, ``"1"`` in the NANP, ``"06"`` in Hungary), or None
            where national numbers keep every digit (Italy keeps its leading 0).
        national_lengths: Smallest and largest length of the national significant number
            (the digits after the calling code). Only used to tell a national number from an
            international one typed without ``+`` or ``00``.
    """

    calling_code: str
    trunk_prefix: str | None
    national_lengths: tuple[int, int]


CALLING_CODES: dict[str, CallingCode] = {
    "AT": CallingCode("43", "0", (4, 13)),
    "AU": CallingCode("61", "0", (9, 9)),
    "BE": CallingCode("32", "0", (8, 9)),
    "BG": CallingCode("359", "0", (8, 9)),
    "BR": CallingCode("55", "0", (10, 11)),
    "CA": CallingCode("1", "1", (10, 10)),
    "CH": CallingCode("41", "0", (9, 9)),
    "CY": CallingCode("357", None, (8, 8)),
    "CZ": CallingCode("420", None, (9, 9)),
    "DE": CallingCode("49", "0", (6, 13)),
    "DK": CallingCode("45", None, (8, 8)),
    "EE": CallingCode("372", None, (7, 8)),
    "ES": CallingCode("34", None, (9, 9)),
    "FI": CallingCode("358", "0", (5, 12)),
    "FR": CallingCode("33", "0", (9, 9)),
    "GB": CallingCode("44", "0", (9, 10)),
    "GR": CallingCode("30", None, (10, 10)),
    "HR": CallingCode("385", "0", (8, 9)),
    "HU": CallingCode("36", "06", (8, 9)),
    "IE": CallingCode("353", "0", (7, 9)),
    "IN": CallingCode("91", "0", (10, 10)),
    "IS": CallingCode("354", None, (7, 9)),
    "IT": CallingCode("39", None, (6, 11)),
    "JP": CallingCode("81", "0", (9, 10)),
    "LU": CallingCode("352", None, (4, 11)),
    "LV": CallingCode("371", None, (8, 8)),
    "MT": CallingCode("356", None, (8, 8)),
    "MX": CallingCode("52", None, (10, 10)),
    "NL": CallingCode("31", "0", (9, 9)),
    "NO": CallingCode("47", None, (8, 8)),
    "NZ": CallingCode("64", "0", (8, 10)),
    "PL": CallingCode("48", None, (9, 9)),
    "PT": CallingCode("351", None, (9, 9)),
    "RO": CallingCode("40", "0", (9, 9)),
    "SE": CallingCode("46", "0", (7, 9)),
    "SI": CallingCode("386", "0", (8, 8)),
    "SK": CallingCode("421", "0", (9, 9)),
    "TR": CallingCode("90", "0", (10, 10)),
    "US": CallingCode("1", "1", (10, 10)),
    "ZA": CallingCode("27", "0", (9, 9)),
}
"""ISO 3166-1 alpha-2 code -> dialling facts, for the countries we sell to and neighbours."""

_BY_CALLING_CODE: dict[str, CallingCode] = {}
for _facts in CALLING_CODES.values():
    _BY_CALLING_CODE.setdefault(_facts.calling_code, _facts)

E164_MIN_DIGITS = 8
E164_MAX_DIGITS = 15
"""Plausible length of an E.164 number, calling code included (the standard allows 15)."""

_PHONE_SEPARATORS = re.compile(r"[\s\-./()\u2010-\u2015]")
_EMAIL = re.compile(r"^[^@\s]{1,64}@(?:[^@\s.]+\.)+[^@\s.]{2,}$")
_COUNTRY = re.compile(r"^[a-z]{2}$")
_WHITESPACE = re.compile(r"\s+")


def as_text(value: object) -> str | None:
    """``value`` as a string, or None for None, NaN and pandas' missing values."""
    if value is None:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, str):
        return value
    try:
        if value != value:  # NaN-like scalars (pd.NA raises TypeError here)
            return None
    except TypeError:
        return None
    return str(value)


def sha256_hex(value: str) -> str:
    """SHA-256 of the UTF-8 bytes of ``value`` as 64 lower-case hex digits."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def normalize_email(value: object) -> str | None:
    """Trimmed, lower-cased email address; None when missing or not a plausible address.

    Plausible means one ``@``, a local part of 1 to 64 characters without whitespace, no
    leading, trailing or doubled dot in it, and a domain with at least one dot and a
    top-level label of two or more characters. Nothing else is rewritten (plus-tags and
    Gmail dots are kept), so the hash is that of the address the customer gave.
    """
    text = as_text(value)
    if text is None:
        return None
    email = text.strip().lower()
    if len(email) > 254 or not _EMAIL.match(email):
        return None
    local = email.split("@", 1)[0]
    if local.startswith(".") or local.endswith(".") or ".." in local:
        return None
    return email


def normalize_country(value: object) -> str | None:
    """ISO 3166-1 alpha-2 code in upper case, or None when blank, ``unknown`` or malformed."""
    text = as_text(value)
    if text is None:
        return None
    code = text.strip().lower()
    return code.upper() if _COUNTRY.match(code) else None


def country_facts(default_country_code: object) -> CallingCode | None:
    """Dialling facts from an ISO alpha-2 code (``"DE"``) or a calling code (``"+49"``)."""
    text = as_text(default_country_code)
    if text is None:
        return None
    text = text.strip()
    digits = text.removeprefix("+")
    if digits.isascii() and digits.isdigit():
        return _BY_CALLING_CODE.get(digits, CallingCode(digits, None, (1, 14)))
    return CALLING_CODES.get(text.upper())


def _known_calling_code(digits: str) -> CallingCode | None:
    """Facts of the known calling code ``digits`` start with (codes are prefix-free)."""
    for width in (1, 2, 3):
        facts = _BY_CALLING_CODE.get(digits[:width])
        if facts is not None:
            return facts
    return None


def _from_national(digits: str, facts: CallingCode) -> str:
    """International digits (no ``+``) of a number written without ``+`` or ``00``."""
    code, trunk = facts.calling_code, facts.trunk_prefix
    shortest, longest = facts.national_lengths
    if trunk is not None and digits.startswith(trunk):
        return code + digits[len(trunk) :]
    typed_international = digits.startswith(code) and (
        shortest <= len(digits) - len(code) <= longest
    )
    if trunk is None and shortest <= len(digits) <= longest:
        # Without a trunk prefix a national number may itself start with the calling code
        # (Italian mobiles 39x...); its length decides.
        return code + digits
    if typed_international:
        return digits
    return code + digits


def to_e164(phone: object, default_country_code: object = None) -> str | None:
    """Phone number in E.164 (``+`` and 8 to 15 digits), or None when implausible.

    Spaces, dashes, dots, slashes and parentheses are ignored. A number starting with ``+``
    or ``00`` (``011`` in NANP countries) is international; a ``(0)`` trunk digit written
    after a known calling code is dropped (``+49 (0)151 ...``). Any other number is national
    to ``default_country_code``: its trunk prefix is replaced by the calling code
    (``0151 2345678`` in DE -> ``+491512345678``); a number that already starts with the
    calling code and has a national length after it is taken as international typed without
    ``+`` (``49 151 2345678``). Letters (``ext. 12``) make the number implausible.

    Args:
        phone: The number as entered; int and float values are read as digits.
        default_country_code: ISO 3166-1 alpha-2 code of the customer's country (``"DE"``),
            or a calling code (``"49"`` / ``"+49"``). Unknown or None: only international
            numbers can be converted.

    Returns:
        ``"+<digits>"`` with 8 to 15 digits, or None.
    """
    return e164_with_facts(phone, country_facts(default_country_code))


def e164_with_facts(phone: object, facts: CallingCode | None) -> str | None:
    """:func:`to_e164` with the default country's facts already looked up.

    ``to_e164(phone, country) == e164_with_facts(phone, country_facts(country))``; look the
    facts up once per country when converting many numbers.
    """
    text = as_text(phone)
    if text is None:
        return None
    compact = _PHONE_SEPARATORS.sub("", unicodedata.normalize("NFKC", text))
    international = compact.startswith("+")
    digits = compact[1:] if international else compact
    if not digits or not digits.isascii() or not digits.isdigit():
        return None
    if not international:
        if digits.startswith("00"):
            digits, international = digits[2:], True
        elif facts is not None and facts.calling_code == "1" and digits.startswith("011"):
            digits, international = digits[3:], True
    if international:
        if digits.startswith("0"):
            return None
        known = _known_calling_code(digits)
        if known is not None and known.trunk_prefix == "0":
            rest = digits[len(known.calling_code) :]
            if rest.startswith("0"):
                digits = known.calling_code + rest[1:]
    elif facts is None:
        return None
    else:
        digits = _from_national(digits, facts)
    if not E164_MIN_DIGITS <= len(digits) <= E164_MAX_DIGITS:
        return None
    return "+" + digits


def google_phone_hash(phone: object, default_country_code: object = None) -> str | None:
    """Google Customer Match phone hash: SHA-256 hex of E.164 *with* the ``+``."""
    e164 = to_e164(phone, default_country_code)
    return None if e164 is None else sha256_hex(e164)


def meta_phone_hash(phone: object, default_country_code: object = None) -> str | None:
    """Meta custom-audience phone hash: SHA-256 hex of the E.164 digits, *without* ``+``."""
    e164 = to_e164(phone, default_country_code)
    return None if e164 is None else sha256_hex(e164[1:])


def email_hash(value: object) -> str | None:
    """SHA-256 hex of the trimmed, lower-cased email (same rule for Google and Meta)."""
    email = normalize_email(value)
    return None if email is None else sha256_hex(email)


def google_name(value: object) -> str | None:
    """Name normalised for Google: trimmed, lower-cased, inner whitespace runs collapsed."""
    text = as_text(value)
    if text is None:
        return None
    name = _WHITESPACE.sub(" ", unicodedata.normalize("NFC", text).strip().lower())
    return name or None


def meta_name(value: object) -> str | None:
    """Name normalised for Meta: lower-case letters only (accents kept, UTF-8).

    Spaces, punctuation and digits are dropped (``"Mary-Ann O'Neil"`` -> ``"maryannoneil"``).
    Meta recommends a-z but accepts UTF-8 letters (its own example: ``Valéry`` ->
    ``valéry``), so accented letters are kept rather than transliterated.
    """
    text = as_text(value)
    if text is None:
        return None
    name = "".join(ch for ch in unicodedata.normalize("NFC", text).lower() if ch.isalpha())
    return name or None


def google_name_hash(value: object) -> str | None:
    """SHA-256 hex of :func:`google_name`."""
    name = google_name(value)
    return None if name is None else sha256_hex(name)


def meta_name_hash(value: object) -> str | None:
    """SHA-256 hex of :func:`meta_name`."""
    name = meta_name(value)
    return None if name is None else sha256_hex(name)


def meta_country_hash(value: object) -> str | None:
    """SHA-256 hex of the lower-case ISO alpha-2 country code (Meta hashes ``country``)."""
    code = normalize_country(value)
    return None if code is None else sha256_hex(code.lower())

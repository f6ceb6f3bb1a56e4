"""Masking of personal data wherever the public or an unrelated role could see it."""

from __future__ import annotations


def mask_phone(phone: str | None) -> str:
    """Keep the first three and last four digits of a mobile number: 138****5678."""
    if not phone:
        return ""
    digits = phone.strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_id_number(number: str | None) -> str:
    """Keep the first six (region) and last four characters of an ID number."""
    if not number:
        return ""
    value = number.strip()
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_name(name: str | None) -> str:
    """Keep the family name (the first character) of a Chinese name, or the initial of a Latin one: 张**."""
    if not name:
        return ""
    value = name.strip()
    if len(value) <= 1:
        return value
    return value[0] + "*" * min(len(value) - 1, 2)

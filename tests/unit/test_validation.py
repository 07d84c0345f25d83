"""Shared field types: E.164 phone numbers and RFC 5322 emails, with machine-readable codes."""

import pytest
from pydantic import ValidationError

from meetings.validation import EmailAddress, PhoneNumber, RequestModel


class Contact(RequestModel):
    phone_number: PhoneNumber
    email: EmailAddress | None = None


def error_codes(**fields) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        Contact(**fields)
    return [error["type"] for error in caught.value.errors()]


def test_valid_e164_and_email_are_normalized():
    contact = Contact(phone_number="+5511987654321", email="Ana.Souza@Example.COM")
    assert contact.phone_number == "+5511987654321"
    assert contact.email == "ana.souza@example.com"


@pytest.mark.parametrize("number", ["11987654321", "+55 11 98765-4321", "+999123", "phone", "+1555"])
def test_phone_numbers_not_in_e164_are_rejected(number):
    assert error_codes(phone_number=number) == ["invalid_phone_number"]


@pytest.mark.parametrize("address", ["ana", "ana@", "@example.com", "ana@@example.com", "ana @example.com"])
def test_invalid_emails_are_rejected(address):
    assert error_codes(phone_number="+5511987654321", email=address) == ["invalid_email"]


def test_unknown_fields_are_rejected():
    assert error_codes(phone_number="+5511987654321", nickname="x") == ["extra_forbidden"]

"""Email addresses: validated and normalised by `email-validator`, not by a hand-made pattern.

The normalised form (the domain lower-cased and IDNA-encoded, the local part in Unicode NFC)
is what is stored and what makes an address unique (`EMAIL#<normalised>` in the users table).
No DNS lookup: deliverability is Cognito's business (it sends the verification code).
"""

from __future__ import annotations


class InvalidEmail(ValueError):
    """The address is not a valid email address; the message says why."""


def normalized_email(text: str) -> str:
    # Imported on first use: of the users functions only create-user reads addresses (25 ms).
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise InvalidEmail(str(error)) from None


def uniqueness_key(normalized: str) -> str:
    """The users-table key that holds one address for one account. The local part keeps its
    case (RFC 5321), the domain is already lower-case; `casefold` makes `Ada@x` and `ada@x` one
    account too, as Cognito's case-insensitive usernames do."""
    return f"EMAIL#{normalized.casefold()}"

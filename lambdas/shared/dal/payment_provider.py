"""The payment provider seam: a small interface, the deterministic test double behind it, and
the provider configured from Secrets Manager (`PAYMENT_SECRET_ARN`)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol


from lambdas.shared.plumbing.settings import PaymentsEnv

DECLINED_TOKEN = "tok_declined"
SECRET_MAX_AGE_SECONDS = 300


class PaymentConfigurationError(RuntimeError):
    """The provider key is missing or empty: a deployment error."""


@dataclass(frozen=True)
class Charge:
    approved: bool
    payment_id: str | None
    reason: str | None = None


@dataclass(frozen=True)
class Refund:
    refund_id: str


class PaymentProvider(Protocol):
    """What the workflow needs from a payment provider. `idempotency_key` (the order id) makes a
    repeated call return the first result instead of charging or refunding again."""

    def charge(self, *, idempotency_key: str, amount: Decimal, token: str) -> Charge: ...

    def refund(self, *, idempotency_key: str, payment_id: str, amount: Decimal) -> Refund: ...


class TestPaymentProvider:
    """Deterministic double: the token `tok_declined` is declined, any other token is charged.
    Ids derive from the idempotency key, as a real provider would return the same charge."""

    __test__ = False  # not a pytest test class

    def __init__(self, api_key: str):
        if not api_key:
            raise PaymentConfigurationError("the payment provider key is empty")
        self._api_key = api_key

    def charge(self, *, idempotency_key: str, amount: Decimal, token: str) -> Charge:
        if token == DECLINED_TOKEN:
            return Charge(approved=False, payment_id=None, reason="payment declined")
        return Charge(approved=True, payment_id=_id("pay", idempotency_key))

    def refund(self, *, idempotency_key: str, payment_id: str, amount: Decimal) -> Refund:
        return Refund(refund_id=_id("re", idempotency_key))


def payment_provider() -> PaymentProvider:
    """The provider, keyed with the secret in `PAYMENT_SECRET_ARN` (cached for five minutes).

    The secret is the key itself or a JSON object `{"apiKey": "..."}`.
    """
    # Imported on first use: Powertools parameters loads boto3 and every provider (SSM,
    # AppConfig, Secrets Manager...) with it.
    from aws_lambda_powertools.utilities import parameters

    secret = parameters.get_secret(PaymentsEnv.load().PAYMENT_SECRET_ARN, max_age=SECRET_MAX_AGE_SECONDS)
    return TestPaymentProvider(api_key=_api_key(secret))


def _api_key(secret: str | bytes | dict) -> str:
    if isinstance(secret, bytes):
        secret = secret.decode()
    if isinstance(secret, str) and secret.lstrip().startswith("{"):
        secret = json.loads(secret)
    if isinstance(secret, dict):
        secret = secret.get("apiKey") or ""
    key = str(secret).strip()
    if not key:
        raise PaymentConfigurationError("secret PAYMENT_SECRET_ARN holds no payment provider key")
    return key


def _id(prefix: str, idempotency_key: str) -> str:
    return f"{prefix}_{hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]}"

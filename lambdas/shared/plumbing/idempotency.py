"""Powertools idempotency for the order functions, with the table named at call time.

The persistence layer needs its table name when it is built, and decorators run at import
time, before tests (or the local cloud) set the environment: so each decorated function gets
its persistence layer on first call, once per container, from `IDEMPOTENCY_TABLE_NAME`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from typing import TYPE_CHECKING

from lambdas.shared.plumbing.settings import IdempotencyEnv

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig
    from aws_lambda_powertools.utilities.typing import LambdaContext

ONE_DAY = 24 * 60 * 60


def idempotent_on(
    key_jmespath: str,
    *,
    payload_jmespath: str = "",
    expires_after_seconds: int = ONE_DAY,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Run the decorated `fn(*, data, ...)` once per idempotency key; repeats get the first
    result back (so it must be plain JSON: no `Decimal`).

    `key_jmespath` selects the key in `data` (e.g. "orderId"); `payload_jmespath`, if given,
    selects what a repeat must match, else it raises `IdempotencyValidationError`.
    Call as `fn(data=..., lambda_context=context)`: with the context, the lock of an attempt
    that died expires with its invocation, and a retry can run.
    """

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def run(*, data: Any, lambda_context: LambdaContext | None = None, **kwargs: Any) -> Any:
            table_name = IdempotencyEnv.load().IDEMPOTENCY_TABLE_NAME
            config, once = _bind(fn, table_name, key_jmespath, payload_jmespath, expires_after_seconds)
            if lambda_context is not None:
                config.register_lambda_context(lambda_context)
            return once(data=data, **kwargs)

        return run

    return decorate


def reset() -> None:
    """Forget the persistence layers, as a new container would (for tests)."""
    _bind.cache_clear()


@functools.cache
def _bind(
    fn: Callable[..., Any],
    table_name: str,
    key_jmespath: str,
    payload_jmespath: str,
    expires_after_seconds: int,
) -> tuple[IdempotencyConfig, Callable[..., Any]]:
    # Imported on first call: the persistence layer brings boto3 (see `dal.dynamo.dynamodb`).
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )

    # One persistence layer per function: Powertools configures a layer once, for one config.
    config = IdempotencyConfig(
        event_key_jmespath=key_jmespath,
        payload_validation_jmespath=payload_jmespath,
        raise_on_no_idempotency_key=True,
        expires_after_seconds=expires_after_seconds,
    )
    store = DynamoDBPersistenceLayer(table_name=table_name)
    return config, idempotent_function(fn, data_keyword_argument="data", persistence_store=store, config=config)

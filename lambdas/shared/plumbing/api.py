"""What every API Gateway (REST, v1 proxy) handler shares.

- `create_app(allow_headers=None)`: an `APIGatewayRestResolver` with CORS and the error mapping below.
- `parse_body(app, Model)`: the JSON body validated by a request model.
- `json_response()` / `no_content()`: responses with the JSON encoding of the contract.
- `api_handler(app)`: the Lambda entry point (logging with correlation id, tracing, metrics).

Path ids: a route names its parameters as the API does (`/users/<userId>`). The route function
gets each one decoded, as AWS's `pathParameters` are (Powertools matches routes on the encoded
`path`, so it would pass `a%20b`), and checked by the id rule of `schemas/ids.py`: a malformed
id is a 400 naming it, before any AWS call (docs/contracts.md, API).

Error bodies are always `{"message": "..."}`:
    invalid JSON, invalid fields or path id, BadRequest -> 400 (the message names the field)
    Unauthorized (no caller claims)          -> 401
    Forbidden (not the caller's resource)    -> 403
    NotFound, unknown route                  -> 404
    Conflict                                 -> 409
    anything else                            -> 500 "Internal server error" (details only logged)
Each error response also adds a ClientError or ServerError metric.

CORS: origins come from ALLOWED_ORIGINS (comma-separated, `*` allowed), read per request.
Powertools adds the Access-Control-* headers to every response, errors included, but only when
the request carries an `Origin` header that is allowed (browsers always send it on cross-origin
calls): with `*` the response says `Access-Control-Allow-Origin: *`, with a list it echoes the
matching origin; a request without `Origin`, or from another origin, gets no CORS headers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from http import HTTPStatus
from typing import Any, TypeVar
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import ServiceError
from aws_lambda_powertools.logging import correlation_paths
from pydantic import BaseModel, ValidationError

from lambdas.shared.plumbing import jsonutil
from lambdas.shared.plumbing.errors import (BadRequest, Conflict, DomainError, Forbidden, NotFound,
                                            Unauthorized)
from lambdas.shared.plumbing.observability import count, get_logger, instrument
from lambdas.shared.plumbing.settings import ApiEnv
from lambdas.shared.plumbing.validation import describe_validation_error
from lambdas.shared.schemas.ids import ENTITY_ID

ModelT = TypeVar("ModelT", bound=BaseModel)

INTERNAL_ERROR = "Internal server error"
_DOMAIN_STATUS: dict[type[DomainError], HTTPStatus] = {
    BadRequest: HTTPStatus.BAD_REQUEST,
    Unauthorized: HTTPStatus.UNAUTHORIZED,
    Forbidden: HTTPStatus.FORBIDDEN,
    NotFound: HTTPStatus.NOT_FOUND,
    Conflict: HTTPStatus.CONFLICT,
}


class EnvCORSConfig(CORSConfig):
    """A CORSConfig whose allowed origins are read from ALLOWED_ORIGINS on every request.

    The resolver is built at import time, but the environment must be read at call time.
    """

    def _current(self) -> CORSConfig:
        origins = ApiEnv.load().ALLOWED_ORIGINS
        if not origins:
            return _NO_ORIGIN
        return CORSConfig(
            allow_origin=origins[0],
            extra_origins=list(origins[1:]),
            allow_headers=sorted(self.allow_headers),
            max_age=self.max_age,
        )

    def allowed_origin(self, extracted_origin: str) -> str | None:
        return self._current().allowed_origin(extracted_origin)

    def to_dict(self, origin: str | None) -> dict[str, str]:
        return self._current().to_dict(origin)


class _NoOrigins(CORSConfig):
    """ALLOWED_ORIGINS unset or empty: allow nobody (CORSConfig itself would default to `*`)."""

    def allowed_origin(self, extracted_origin: str) -> str | None:
        return None

    def to_dict(self, origin: str | None) -> dict[str, str]:
        return {}


_NO_ORIGIN = _NoOrigins()


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    """A JSON response; `Decimal`s are written as numbers."""
    return Response(
        status_code=int(status),
        content_type=content_types.APPLICATION_JSON,
        body=jsonutil.dumps(body),
        headers=headers,
    )


def no_content() -> Response:
    """204 with an empty body."""
    return Response(status_code=HTTPStatus.NO_CONTENT.value, content_type=None, body="")


def error_response(status: int, message: str) -> Response:
    """`{"message": ...}` with a 4xx/5xx status; counted as a ClientError or ServerError metric."""
    count("ServerError" if status >= 500 else "ClientError")
    return json_response(status, {"message": message})


def parse_body(app: APIGatewayRestResolver, model: type[ModelT]) -> ModelT:
    """The request body, parsed as JSON and validated by `model`.

    API Gateway validates bodies only when the Content-Type matches its model, so the Lambda
    validates again. JSON numbers with a fraction or exponent become `Decimal`, never float, so
    money keeps the client's exact digits. Errors surface as 400 through the handlers registered by `create_app`.
    """
    raw = app.current_event.decoded_body
    if raw is None or not raw.strip():
        raise BadRequest("Request body is required")
    try:
        body = json.loads(raw, parse_float=Decimal, parse_int=_parse_int)
    except RecursionError:
        raise BadRequest("Request body is nested too deeply") from None
    return model.model_validate(body)


# Python refuses to turn more than 4300 digits into an int (ValueError, not a JSON error):
# longer integers stay Decimal, which the models then reject by their bounds.
_INT_DIGITS = 100


def _parse_int(text: str) -> int | Decimal:
    return int(text) if len(text) <= _INT_DIGITS else Decimal(text)


def _register_error_handlers(app: APIGatewayRestResolver) -> None:
    @app.exception_handler(json.JSONDecodeError)
    def invalid_json(error: json.JSONDecodeError) -> Response:
        get_logger().info("Request body is not valid JSON", extra={"reason": str(error)})
        return error_response(HTTPStatus.BAD_REQUEST, "Request body is not valid JSON")

    @app.exception_handler(ValidationError)
    def invalid_fields(error: ValidationError) -> Response:
        message = describe_validation_error(error)
        get_logger().info("Request rejected", extra={"reason": message})
        return error_response(HTTPStatus.BAD_REQUEST, message)

    @app.exception_handler(DomainError)
    def domain_error(error: DomainError) -> Response:
        status = next(
            (code for kind, code in _DOMAIN_STATUS.items() if isinstance(error, kind)),
            HTTPStatus.BAD_REQUEST,
        )
        get_logger().info("Request refused", extra={"reason": error.message, "status": int(status)})
        return error_response(status, error.message)

    # Powertools' own HTTP errors, e.g. NotFoundError for an unknown route.
    @app.exception_handler(ServiceError)
    def service_error(error: ServiceError) -> Response:
        return error_response(error.status_code, error.msg)

    @app.exception_handler(Exception)
    def unexpected(error: Exception) -> Response:
        # Details go to the log only; the client learns nothing about internals.
        get_logger().exception("Unhandled error")
        return error_response(HTTPStatus.INTERNAL_SERVER_ERROR, INTERNAL_ERROR)


def _decoded_path_ids(app: APIGatewayRestResolver, next_middleware: Callable[..., Any]) -> Any:
    """Middleware: the route arguments become the decoded, checked `pathParameters`."""
    decoded = app.current_event.path_parameters or {}
    arguments = {}
    for name, matched in app.context.get("_route_args", {}).items():
        # API Gateway has decoded pathParameters; decode the matched text only without them.
        value = decoded.get(name, unquote(matched))
        problem = ENTITY_ID.problem(value)
        if problem:
            raise BadRequest(f"Invalid request: {name}: {problem}")
        arguments[name] = value
    app.append_context(_route_args=arguments)
    return next_middleware(app)


def create_app(allow_headers: list[str] | None = None) -> APIGatewayRestResolver:
    """A REST API resolver with CORS (ALLOWED_ORIGINS) and the project's error responses.

    `allow_headers`: request headers browsers may send besides the standard ones
    (Authorization, Content-Type, X-Amz-Date, X-Api-Key, X-Amz-Security-Token),
    e.g. ["Idempotency-Key"].
    """
    cors = EnvCORSConfig(allow_headers=allow_headers)
    app = APIGatewayRestResolver(cors=cors, serializer=jsonutil.dumps)
    _register_error_handlers(app)
    app.use([_decoded_path_ids])
    return app


def api_handler(app: APIGatewayRestResolver) -> Callable[[Any, Any], Any]:
    """The Lambda handler for `app`: correlation id = API Gateway request id, traced, metrics."""
    return instrument(app.resolve, correlation_id_path=correlation_paths.API_GATEWAY_REST)

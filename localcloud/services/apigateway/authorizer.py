"""`COGNITO_USER_POOLS` authorizers, enforced as API Gateway does.

For a method with `authorizationType` COGNITO_USER_POOLS: the token is read from the
authorizer's `identitySource` header (`Authorization`; a `Bearer ` prefix is tolerated); it
must be a JWS signed with RS256 by a key of the pool's JWKS (fetched from the local Cognito at
`<endpoint>/<pool id>/.well-known/jwks.json`, kept per pool), issued by one of the authorizer's
`providerARNs` (`iss`), not expired (`exp`), and:

- without `authorizationScopes` on the method: an ID token (`token_use` = `id`) whose `aud` is
  an app client of that pool, as API Gateway accepts only ID tokens then;
- with scopes: an access token whose `client_id` is a client of the pool and whose `scope`
  holds one of them (403 otherwise).

Anything else (no header, not a JWT, `alg: none`, another key, another pool, another client,
expired) is 401 `{"message":"Unauthorized"}`, never a 5xx. The verified claims reach the
function as `requestContext.authorizer.claims` shaped as AWS shapes them: every value a string,
`iat`/`exp` as `Fri Jul 29 18:52:53 UTC 2016`, lists comma-joined (`cognito:groups`).

Verified tokens are cached (by the token's hash, until the earlier of its `exp` and the
authorizer's result TTL), as API Gateway caches authorizer results; `cache=False` turns it off.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from localcloud.core.clients import fetch_json
from localcloud.core.pagination import all_items

from .context import GatewayError

log = logging.getLogger(__name__)

UNAUTHORIZED = GatewayError("UNAUTHORIZED", "Unauthorized")
ACCESS_DENIED = GatewayError("ACCESS_DENIED",
                             "User is not authorized to access this resource")
ALGORITHMS = ["RS256"]  # what Cognito signs with; `none` and HMAC are refused
CACHE_ENTRIES = 10_000
CLIENTS_MAX_AGE = 2.0  # seconds an app client list is trusted before a miss re-reads it


@dataclass(frozen=True)
class Authorizer:
    """An API's authorizer as read from the control plane (`get_authorizers`)."""

    id: str
    name: str
    type: str
    provider_arns: tuple[str, ...] = ()
    identity_source: str = "method.request.header.Authorization"
    result_ttl: int = 300

    @classmethod
    def from_api(cls, item: dict[str, Any]) -> "Authorizer":
        ttl = item.get("authorizerResultTtlInSeconds")
        return cls(id=item["id"], name=item.get("name", ""), type=item.get("type", "TOKEN"),
                   provider_arns=tuple(item.get("providerARNs") or ()),
                   identity_source=item.get("identitySource")
                   or "method.request.header.Authorization",
                   result_ttl=int(ttl) if ttl not in (None, "") else 300)

    @property
    def header(self) -> str | None:
        prefix = "method.request.header."
        first = self.identity_source.split(",")[0].strip()
        return first[len(prefix):] if first.startswith(prefix) else None


def pool_of(provider_arn: str) -> tuple[str, str] | None:
    """`arn:aws:cognito-idp:eu-west-1:123:userpool/eu-west-1_abc` -> (region, pool id)."""
    parts = provider_arn.split(":", 5)
    if len(parts) != 6 or parts[2] != "cognito-idp" or not parts[5].startswith("userpool/"):
        return None
    return parts[3], parts[5].removeprefix("userpool/")


def issuer(region: str, pool_id: str) -> str:
    return f"https://cognito-idp.{region}.amazonaws.com/{pool_id}"


def aws_claims(claims: dict[str, Any]) -> dict[str, str]:
    """Claims as a REST API's Cognito authorizer passes them to the function."""
    shaped = {}
    for name, value in claims.items():
        if name in ("iat", "exp") and isinstance(value, (int, float)):
            shaped[name] = time.strftime("%a %b %d %H:%M:%S UTC %Y", time.gmtime(value))
        elif isinstance(value, bool):
            shaped[name] = "true" if value else "false"
        elif isinstance(value, list):
            shaped[name] = ",".join(str(item) for item in value)
        else:
            shaped[name] = str(value)
    return shaped


class PoolDirectory:
    """What the check needs to know of the local user pools: their signing keys (JWKS) and
    their app client ids, read through the given callables and kept."""

    def __init__(self, fetch_jwks: Callable[[str], dict], list_clients: Callable[[str], set[str]],
                 *, clients_max_age: float = CLIENTS_MAX_AGE) -> None:
        self._fetch_jwks = fetch_jwks
        self._list_clients = list_clients
        self._clients_max_age = clients_max_age
        self._keys: dict[str, KeySet] = {}
        self._clients: dict[str, tuple[float, set[str]]] = {}
        self._lock = threading.Lock()

    def keys(self, pool_id: str, *, refresh: bool = False) -> KeySet:
        with self._lock:
            cached = self._keys.get(pool_id)
        if cached is not None and not refresh:
            return cached
        keys = KeySet.import_key_set(self._fetch_jwks(pool_id))
        with self._lock:
            self._keys[pool_id] = keys
        return keys

    def is_client(self, pool_id: str, client_id: str) -> bool:
        """True for an app client of the pool; a miss re-reads the list (a new client)."""
        with self._lock:
            cached = self._clients.get(pool_id)
        fresh = cached is not None and time.monotonic() - cached[0] < self._clients_max_age
        if cached is not None and (client_id in cached[1] or fresh):
            return client_id in cached[1]
        clients = self._list_clients(pool_id)
        with self._lock:
            self._clients[pool_id] = (time.monotonic(), clients)
        return client_id in clients


def local_pools(endpoint_url: str, cognito: Callable[[], Any]) -> PoolDirectory:
    """The pools of a local cloud: signing keys as any client gets them, from the Cognito
    endpoint (`<endpoint>/<pool>/.well-known/jwks.json`), app clients from its control plane
    (`cognito()` returns a cognito-idp client)."""
    return PoolDirectory(
        fetch_jwks=lambda pool: fetch_json(f"{endpoint_url}/{pool}/.well-known/jwks.json"),
        list_clients=lambda pool: {c["ClientId"] for c in all_items(
            cognito(), "list_user_pool_clients", "UserPoolClients", UserPoolId=pool)})


class CognitoAuthorizer:
    """Checks a request's token for one method; returns the claims or a GatewayError."""

    def __init__(self, pools: PoolDirectory, *, cache: bool = True,
                 now: Callable[[], float] = time.time) -> None:
        self._pools = pools
        self._cache_enabled = cache
        self._now = now
        self._cache: OrderedDict[tuple[str, str, tuple[str, ...]], tuple[float, dict]] = \
            OrderedDict()
        self._lock = threading.Lock()

    def authorize(self, authorizer: Authorizer, scopes: tuple[str, ...],
                  header_value: str | None) -> dict[str, str] | GatewayError:
        token = (header_value or "").strip()
        if token[:7].lower() == "bearer ":
            token = token[7:].strip()
        if not token:
            return UNAUTHORIZED
        key = (hashlib.sha256(token.encode()).hexdigest(), authorizer.id, scopes)
        cached = self._cached(key)
        if cached is not None:
            return cached
        try:
            result = self._verify(authorizer, scopes, token)
        except (JoseError, ValueError, TypeError, KeyError) as error:
            log.info("token refused by authorizer %s: %s", authorizer.name, error)
            return UNAUTHORIZED
        if isinstance(result, GatewayError):
            return result
        claims, expires = result
        if self._cache_enabled:
            self._remember(key, min(expires, self._now() + authorizer.result_ttl), claims)
        return claims

    def _verify(self, authorizer: Authorizer, scopes: tuple[str, ...],
                token: str) -> tuple[dict[str, str], float] | GatewayError:
        pools = {issuer(*pool): pool[1] for pool in map(pool_of, authorizer.provider_arns)
                 if pool is not None}
        # Which pool is only known from the (not yet trusted) payload; the signature, checked
        # next with that pool's keys, makes it trustworthy.
        claimed_issuer = _unverified_claims(token).get("iss")
        pool_id = pools.get(claimed_issuer) if isinstance(claimed_issuer, str) else None
        if pool_id is None:
            raise ValueError(f"issuer {claimed_issuer!r} is not a pool of the authorizer")
        try:
            decoded = jwt.decode(token, self._pools.keys(pool_id), algorithms=ALGORITHMS)
        except JoseError as error:
            if error.error != "invalid_key_id":
                raise
            decoded = jwt.decode(token, self._pools.keys(pool_id, refresh=True),
                                 algorithms=ALGORITHMS)
        claims = decoded.claims
        expected_use = "access" if scopes else "id"
        jwt.JWTClaimsRegistry(
            now=lambda: int(self._now()),
            iss={"essential": True, "value": claimed_issuer},
            exp={"essential": True},
            token_use={"essential": True, "value": expected_use},
        ).validate(claims)
        client = claims.get("client_id") if scopes else claims.get("aud")
        if not isinstance(client, str) or not self._pools.is_client(pool_id, client):
            raise ValueError(f"client {client!r} is not an app client of {pool_id}")
        if scopes and not set(str(claims.get("scope", "")).split()) & set(scopes):
            return ACCESS_DENIED
        return aws_claims(claims), float(claims["exp"])

    def _cached(self, key: tuple) -> dict[str, str] | None:
        if not self._cache_enabled:
            return None
        with self._lock:
            entry = self._cache.get(key)
            if entry is None:
                return None
            if entry[0] <= self._now():
                del self._cache[key]
                return None
            self._cache.move_to_end(key)
            return entry[1]

    def _remember(self, key: tuple, until: float, claims: dict[str, str]) -> None:
        with self._lock:
            self._cache[key] = (until, claims)
            while len(self._cache) > CACHE_ENTRIES:
                self._cache.popitem(last=False)


def _unverified_claims(token: str) -> dict[str, Any]:
    """The payload of a compact JWS without checking it (only to pick the pool's keys)."""
    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError("not a JWT")
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    claims = json.loads(base64.urlsafe_b64decode(payload))
    if not isinstance(claims, dict):
        raise ValueError("JWT payload is not an object")
    return claims

"""Plumbing around a handler's work: API resolver and error responses, domain errors,
observability, the wrapper of the order-placed targets, idempotency, typed environment
settings, AWS clients, JSON and timestamps."""

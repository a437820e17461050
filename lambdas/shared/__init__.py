"""Code shared by every function, in layers as in the aws-lambda-handler-cookbook:
handler (lambdas/<area>/<module>.py) -> `logic` -> `dal`, on top of `plumbing` and `schemas`.
Imports point that way only: `dal` never imports `logic`.

- `plumbing/`: what every handler needs around its work (API resolver, errors, observability,
  settings, idempotency, AWS clients, JSON, clock).
- `schemas/`: pydantic models of what crosses a boundary (API requests, events, workflow state)
  and the order statuses.
- `logic/`: domain rules (users, the order status machine, order intake, reports); AWS only
  through `dal`.
- `dal/`: data access, one module per table or service (DynamoDB, SES, SNS, EventBridge, Step
  Functions, the payment provider).
- `models.py`: the API Gateway models generated from `schemas/requests.py`, for components/.

Package `__init__` modules import nothing, so a handler loads only the modules it uses.
Deployed as a layer (`python/lambdas/shared/...`) that merges with each function's own
`lambdas/<area>` package at run time.
"""

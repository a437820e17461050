"""Per-type handlers of the local provider: each creates one Pulumi resource type in moto.

`HANDLERS` maps a pulumi-aws type token to `handler(ctx, name, inputs) -> (id, outputs)`;
`outputs` use the provider's camelCase wire names and are merged over the inputs by the caller.
"""

from __future__ import annotations

from . import apigateway, cognito, compute, data, events, iam, monitoring, pipes

HANDLERS = {
    **iam.HANDLERS,
    **compute.HANDLERS,
    **data.HANDLERS,
    **events.HANDLERS,
    **apigateway.HANDLERS,
    **cognito.HANDLERS,
    **monitoring.HANDLERS,
    **pipes.HANDLERS,
}

"""The order platform's policy pack: `pulumi preview --policy-pack policy`.

The rules live in `order_policies` as plain functions (tested without starting this pack);
constructing `PolicyPack` starts the analyzer server the Pulumi engine talks to.
"""

from pulumi_policy import EnforcementLevel, PolicyPack

from order_policies.pack import PACK_NAME, policies

PolicyPack(name=PACK_NAME, policies=policies(), enforcement_level=EnforcementLevel.MANDATORY)

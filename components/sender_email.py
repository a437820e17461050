"""`SenderEmail`: the SES identity the order emails are sent from.

Two components send email (the order-received email and the confirmation), so the identity and
its ARN, which their `ses:SendEmail` grants name, are made once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_aws as aws


@dataclass
class SenderEmailArgs:
    email: str
    region: str
    account_id: str


class SenderEmail(pulumi.ComponentResource):
    def __init__(self, name: str, args: SenderEmailArgs,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__("order-platform:components:SenderEmail", name, None, opts)
        # SES sends nothing from it until the owner of the address confirms the verification
        # email (and, in the SES sandbox, only to verified recipients).
        self.identity = aws.ses.EmailIdentity(name, email=args.email,
                                              opts=pulumi.ResourceOptions(parent=self))
        self.email = self.identity.email
        # The identity ARN IAM evaluates for ses:SendEmail: identity/<address>.
        self.arn = pulumi.Output.concat(
            "arn:aws:ses:", args.region, ":", args.account_id, ":identity/", self.identity.email)
        self.register_outputs({"arn": self.arn})

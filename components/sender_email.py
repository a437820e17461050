"""`SenderEmail`: the SES identity the order emails are sent from.

Two components send email (the order-received email and the confirmation), so the identity and
the `ses:SendEmail` grant both use are made once. In the SES sandbox IAM also checks the
recipient's identity (every recipient must be a verified identity of the account), so the
grant then covers this account's identities, still only as the sender address.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_aws as aws

from components.builders.grants import Allow


@dataclass
class SenderEmailArgs:
    email: str
    region: str
    account_id: str
    # In the SES sandbox (new accounts): mail only to verified identities.
    sandbox: bool = True


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
        recipients = [f"arn:aws:ses:{args.region}:{args.account_id}:identity/*"] \
            if args.sandbox else []
        # What a function that sends the order emails is granted: as this address only.
        self.send_grant = Allow(["ses:SendEmail"], [self.arn, *recipients], conditions={
            "StringEquals": {"ses:FromAddress": self.identity.email}})
        self.register_outputs({"arn": self.arn})

"""`UserPool`: who may call the API. A Cognito user pool (sign-in with the email address), the
app client of the SPA and the CLI, and the `admin` group.

The client has no secret (a browser or CLI cannot keep one) and signs in with SRP (the password
never leaves the client) and refresh tokens; `auth.passwordAuthFlow` adds USER_PASSWORD_AUTH,
for the local stack only, where the tests and `python -m localcloud token` sign in with it.
Deletion protection (`auth.deletionProtection`) and protect/retain (`protectStatefulResources`)
keep a prod pool's accounts from being lost with a stack.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_aws as aws

from components.tables import Protection
from lambdas.shared.plumbing.caller import ADMIN_GROUP
from stack_settings import AuthSettings

SIGN_IN_FLOWS = ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
PASSWORD_FLOW = "ALLOW_USER_PASSWORD_AUTH"


@dataclass
class UserPoolArgs:
    name_prefix: str
    settings: AuthSettings
    protection: Protection


class UserPool(pulumi.ComponentResource):
    def __init__(self, name: str, args: UserPoolArgs,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__("order-platform:components:UserPool", name, None, opts)
        s = args.settings
        protect = args.protection.protect
        self.pool = aws.cognito.UserPool(
            name, name=f"{args.name_prefix}-users",
            # The email is the username, so one address is one account, and it is the `email`
            # claim of every ID token (the users API takes it from there).
            username_attributes=["email"], auto_verified_attributes=["email"],
            username_configuration=aws.cognito.UserPoolUsernameConfigurationArgs(
                case_sensitive=False),
            password_policy=aws.cognito.UserPoolPasswordPolicyArgs(
                minimum_length=s.password_minimum_length, require_lowercase=True,
                require_uppercase=True, require_numbers=True, require_symbols=True,
                temporary_password_validity_days=3),
            mfa_configuration=s.mfa,
            # TOTP apps: the MFA factor that needs no SMS or SES set-up.
            software_token_mfa_configuration=(
                aws.cognito.UserPoolSoftwareTokenMfaConfigurationArgs(enabled=True)
                if s.mfa != "OFF" else None),
            account_recovery_setting=aws.cognito.UserPoolAccountRecoverySettingArgs(
                recovery_mechanisms=[aws.cognito.UserPoolAccountRecoverySettingRecoveryMechanismArgs(
                    name="verified_email", priority=1)]),
            admin_create_user_config=aws.cognito.UserPoolAdminCreateUserConfigArgs(
                allow_admin_create_user_only=not s.self_sign_up),
            deletion_protection="ACTIVE" if s.deletion_protection else "INACTIVE",
            opts=pulumi.ResourceOptions(parent=self, protect=protect,
                                        retain_on_delete=protect))
        self.client = aws.cognito.UserPoolClient(
            f"{name}-client", name=f"{args.name_prefix}-app", user_pool_id=self.pool.id,
            generate_secret=False,
            explicit_auth_flows=SIGN_IN_FLOWS + ([PASSWORD_FLOW] if s.password_auth_flow else []),
            # "User does not exist" and "wrong password" look the same to a caller.
            prevent_user_existence_errors="ENABLED", enable_token_revocation=True,
            id_token_validity=s.id_token_validity_minutes,
            access_token_validity=s.id_token_validity_minutes,
            refresh_token_validity=s.refresh_token_validity_days,
            token_validity_units=aws.cognito.UserPoolClientTokenValidityUnitsArgs(
                id_token="minutes", access_token="minutes", refresh_token="days"),
            opts=pulumi.ResourceOptions(parent=self))
        self.admin_group = aws.cognito.UserGroup(
            f"{name}-admin", name=ADMIN_GROUP, user_pool_id=self.pool.id,
            description="May read every user and every order", precedence=0,
            opts=pulumi.ResourceOptions(parent=self))
        self.arn = self.pool.arn
        self.register_outputs({"user_pool_id": self.pool.id, "client_id": self.client.id})

"""Cognito user pools, app clients and groups, held by moto.

moto's cognito-idp signs real RS256 JWTs (`InitiateAuth`, `AdminInitiateAuth`) and serves the
pool's JWKS at `<endpoint>/<pool id>/.well-known/jwks.json`; the REST API server verifies the
tokens against it (`services/apigateway/authorizer.py`). moto does not send verification
emails or SMS and does not run the pool's Lambda triggers.
"""

from __future__ import annotations

from .base import Context, as_int, drop_none, physical_name


def _password_policy(policy: dict) -> dict | None:
    if not policy:
        return None
    return {"PasswordPolicy": drop_none({
        "MinimumLength": as_int(policy.get("minimumLength")),
        "RequireUppercase": policy.get("requireUppercase"),
        "RequireLowercase": policy.get("requireLowercase"),
        "RequireNumbers": policy.get("requireNumbers"),
        "RequireSymbols": policy.get("requireSymbols"),
        "TemporaryPasswordValidityDays": as_int(policy.get("temporaryPasswordValidityDays")),
    })}


def user_pool(ctx: Context, name: str, inputs: dict):
    cognito = ctx.aws("cognito-idp")
    admin_config = inputs.get("adminCreateUserConfig") or {}
    recovery = (inputs.get("accountRecoverySetting") or {}).get("recoveryMechanisms") or []
    created = cognito.create_user_pool(**drop_none({
        "PoolName": physical_name(inputs, name, max_len=128, allowed=r"[^\w+=,.@-]"),
        "UsernameAttributes": inputs.get("usernameAttributes"),
        "AliasAttributes": inputs.get("aliasAttributes"),
        "AutoVerifiedAttributes": inputs.get("autoVerifiedAttributes"),
        "Policies": _password_policy(inputs.get("passwordPolicy") or {}),
        "DeletionProtection": inputs.get("deletionProtection"),
        "UsernameConfiguration": {"CaseSensitive": bool(
            inputs["usernameConfiguration"].get("caseSensitive"))}
        if inputs.get("usernameConfiguration") else None,
        "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": bool(
            admin_config.get("allowAdminCreateUserOnly"))} if admin_config else None,
        "AccountRecoverySetting": {"RecoveryMechanisms": [
            {"Name": m["name"], "Priority": as_int(m["priority"])} for m in recovery]}
        if recovery else None,
        "UserPoolTags": {k: str(v) for k, v in (inputs.get("tags") or {}).items()} or None,
    }))["UserPool"]
    pool_id = created["Id"]
    mfa = inputs.get("mfaConfiguration")
    if mfa and mfa != "OFF":
        token = inputs.get("softwareTokenMfaConfiguration") or {}
        cognito.set_user_pool_mfa_config(
            UserPoolId=pool_id, MfaConfiguration=mfa,
            SoftwareTokenMfaConfiguration={"Enabled": bool(token.get("enabled"))})
    return pool_id, {
        "arn": created["Arn"], "name": created["Name"],
        "endpoint": f"cognito-idp.{ctx.region}.amazonaws.com/{pool_id}",
        "creationDate": created["CreationDate"].isoformat(),
    }


def user_pool_client(ctx: Context, name: str, inputs: dict):
    units = inputs.get("tokenValidityUnits") or {}
    created = ctx.aws("cognito-idp").create_user_pool_client(**drop_none({
        "UserPoolId": inputs["userPoolId"],
        "ClientName": physical_name(inputs, name, max_len=128, allowed=r"[^\w\s+=,.@-]"),
        "GenerateSecret": bool(inputs.get("generateSecret")),
        "ExplicitAuthFlows": inputs.get("explicitAuthFlows"),
        "PreventUserExistenceErrors": inputs.get("preventUserExistenceErrors"),
        "EnableTokenRevocation": inputs.get("enableTokenRevocation"),
        "IdTokenValidity": as_int(inputs.get("idTokenValidity")),
        "AccessTokenValidity": as_int(inputs.get("accessTokenValidity")),
        "RefreshTokenValidity": as_int(inputs.get("refreshTokenValidity")),
        "TokenValidityUnits": drop_none({"IdToken": units.get("idToken"),
                                         "AccessToken": units.get("accessToken"),
                                         "RefreshToken": units.get("refreshToken")}) or None,
        "ReadAttributes": inputs.get("readAttributes"),
        "WriteAttributes": inputs.get("writeAttributes"),
        "CallbackURLs": inputs.get("callbackUrls"),
        "AllowedOAuthFlows": inputs.get("allowedOauthFlows"),
        "AllowedOAuthScopes": inputs.get("allowedOauthScopes"),
    }))["UserPoolClient"]
    return created["ClientId"], {"clientSecret": created.get("ClientSecret"),
                                 "name": created["ClientName"]}


def user_group(ctx: Context, name: str, inputs: dict):
    group_name = physical_name(inputs, name, max_len=128, allowed=r"[^\w+=,.@-]")
    ctx.aws("cognito-idp").create_group(**drop_none({
        "UserPoolId": inputs["userPoolId"], "GroupName": group_name,
        "Description": inputs.get("description"), "Precedence": as_int(inputs.get("precedence")),
        "RoleArn": inputs.get("roleArn"),
    }))
    return f"{inputs['userPoolId']}/{group_name}", {"name": group_name}


HANDLERS = {
    "aws:cognito/userPool:UserPool": user_pool,
    "aws:cognito/userPoolClient:UserPoolClient": user_pool_client,
    "aws:cognito/userGroup:UserGroup": user_group,
}

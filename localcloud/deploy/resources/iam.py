"""IAM: roles and policies are stored in moto (never enforced locally)."""

from __future__ import annotations

import json

from botocore.exceptions import ClientError

from .base import Context, drop_none, physical_name, tag_list


def _doc(value) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def role(ctx: Context, name: str, inputs: dict):
    iam = ctx.aws("iam")
    role_name = physical_name(inputs, name, max_len=64, allowed=r"[^\w+=,.@-]")
    created = iam.create_role(**drop_none({
        "RoleName": role_name, "Path": inputs.get("path"),
        "AssumeRolePolicyDocument": _doc(inputs["assumeRolePolicy"]),
        "Description": inputs.get("description"), "Tags": tag_list(inputs.get("tags")),
        "MaxSessionDuration": inputs.get("maxSessionDuration") and int(inputs["maxSessionDuration"]),
    }))["Role"]
    for policy in inputs.get("inlinePolicies") or []:
        if policy.get("name") and policy.get("policy"):
            iam.put_role_policy(RoleName=role_name, PolicyName=policy["name"],
                                PolicyDocument=_doc(policy["policy"]))
    for policy_arn in inputs.get("managedPolicyArns") or []:
        _attach(ctx, role_name, policy_arn)
    return role_name, {"arn": created["Arn"], "name": role_name, "uniqueId": created["RoleId"],
                       "createDate": created["CreateDate"].isoformat()}


def role_policy(ctx: Context, name: str, inputs: dict):
    policy_name = physical_name(inputs, name, max_len=128, allowed=r"[^\w+=,.@-]")
    ctx.aws("iam").put_role_policy(RoleName=inputs["role"], PolicyName=policy_name,
                                   PolicyDocument=_doc(inputs["policy"]))
    return f"{inputs['role']}:{policy_name}", {"name": policy_name}


def _attach(ctx: Context, role_name: str, policy_arn: str) -> None:
    try:
        ctx.aws("iam").attach_role_policy(RoleName=role_name, PolicyArn=policy_arn)
    except ClientError as error:
        if error.response["Error"]["Code"] != "NoSuchEntity":
            raise
        # moto does not load AWS-managed policies (that would slow start-up): keep going.
        ctx.note("AWS-managed IAM policies are not loaded; their attachments are recorded only")


def role_policy_attachment(ctx: Context, name: str, inputs: dict):
    _attach(ctx, inputs["role"], inputs["policyArn"])
    return f"{inputs['role']}-{name}", {}


def policy(ctx: Context, name: str, inputs: dict):
    policy_name = physical_name(inputs, name, max_len=128, allowed=r"[^\w+=,.@-]")
    created = ctx.aws("iam").create_policy(**drop_none({
        "PolicyName": policy_name, "Path": inputs.get("path"),
        "PolicyDocument": _doc(inputs["policy"]), "Description": inputs.get("description"),
        "Tags": tag_list(inputs.get("tags")),
    }))["Policy"]
    return created["Arn"], {"arn": created["Arn"], "name": policy_name,
                            "policyId": created["PolicyId"]}


HANDLERS = {
    "aws:iam/role:Role": role,
    "aws:iam/rolePolicy:RolePolicy": role_policy,
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": role_policy_attachment,
    "aws:iam/policy:Policy": policy,
}

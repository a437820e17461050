"""N groups of five resources (queue, table, topic, role and its inline policy), N from the
stack's `scaling:groups`: `bench scaling` deploys it at several sizes to show that the local
cloud's `up` grows linearly with the number of resources."""

import json

import pulumi
import pulumi_aws as aws

groups = pulumi.Config("scaling").require_int("groups")
for index in range(groups):
    queue = aws.sqs.Queue(f"queue-{index}")
    table = aws.dynamodb.Table(f"table-{index}", billing_mode="PAY_PER_REQUEST", hash_key="id",
                               attributes=[aws.dynamodb.TableAttributeArgs(name="id", type="S")])
    topic = aws.sns.Topic(f"topic-{index}")
    role = aws.iam.Role(f"role-{index}", assume_role_policy=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "sts:AssumeRole",
            "Principal": {"Service": "lambda.amazonaws.com"}}]}))
    aws.iam.RolePolicy(f"policy-{index}", role=role.id, policy=pulumi.Output.all(
        queue.arn, table.arn, topic.arn).apply(lambda arns: json.dumps({
            "Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": arns[0]},
                {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": arns[1]},
                {"Effect": "Allow", "Action": "sns:Publish", "Resource": arns[2]}]})))
pulumi.export("groups", groups)

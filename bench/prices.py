"""AWS prices the `cost` benchmark bills with: us-east-1, on-demand, free tiers left out.

Taken from the public pricing pages below (the figures published in 2024-2025, including the
November 2024 halving of DynamoDB on-demand throughput prices), recorded here on PRICES_DATE.
Prices change: re-check the pages before quoting a figure from this table.
"""

from __future__ import annotations

PRICES_DATE = "2026-12-03"
REGION = "us-east-1"
SOURCES = {
    "lambda": "https://aws.amazon.com/lambda/pricing/",
    "apigateway": "https://aws.amazon.com/api-gateway/pricing/",
    "eventbridge": "https://aws.amazon.com/eventbridge/pricing/",
    "sqs": "https://aws.amazon.com/sqs/pricing/",
    "stepfunctions": "https://aws.amazon.com/step-functions/pricing/",
    "dynamodb": "https://aws.amazon.com/dynamodb/pricing/on-demand/",
    "cloudwatch": "https://aws.amazon.com/cloudwatch/pricing/",
    "sns": "https://aws.amazon.com/sns/pricing/",
    "ses": "https://aws.amazon.com/ses/pricing/",
}

# USD per unit
LAMBDA_GB_SECOND = {"arm64": 0.0000133334, "x86_64": 0.0000166667}  # first pricing tier
LAMBDA_REQUEST = 0.20 / 1e6
API_GATEWAY_REST_REQUEST = 3.50 / 1e6  # first 333 million a month
EVENTBRIDGE_CUSTOM_EVENT = 1.00 / 1e6  # per 64 KB chunk
SQS_STANDARD_REQUEST = 0.40 / 1e6  # per 64 KB chunk
STEP_FUNCTIONS_STANDARD_TRANSITION = 0.025 / 1000
# Express (us-east-1, stepfunctions page above, recorded on PRICES_DATE): per execution
# request, and per GB-second of duration, billed in 100 ms increments at 64 MB granularity.
STEP_FUNCTIONS_EXPRESS_REQUEST = 1.00 / 1e6
STEP_FUNCTIONS_EXPRESS_GB_SECOND = 0.00001667  # first 1,000 h GB a month
STEP_FUNCTIONS_EXPRESS_BILLING_MS = 100
STEP_FUNCTIONS_EXPRESS_MEMORY_MB = 64  # the smallest chunk: the order state is a few KB
DYNAMODB_WRITE_REQUEST_UNIT = 0.625 / 1e6
DYNAMODB_READ_REQUEST_UNIT = 0.125 / 1e6
CLOUDWATCH_LOGS_INGESTED_GB = 0.50
CLOUDWATCH_ALARM_MONTH = 0.10  # standard resolution, per alarm
SNS_PUBLISH = 0.50 / 1e6
SES_EMAIL = 0.10 / 1000

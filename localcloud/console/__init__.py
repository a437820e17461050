"""The local console: web pages at `/_localcloud/` over what the running cloud already holds
(deployment, function stats, CloudWatch Logs, Step Functions, SQS, alarms), one module per
page. Server-rendered Jinja2 templates (`templates/`) and a few lines of plain JS (`static/`):
no build step. It reads moto straight, never through the IAM-enforced path."""

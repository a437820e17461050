"""CloudWatch Logs and CloudWatch (alarms are evaluated by the local alarm evaluator)."""

from __future__ import annotations

from .base import Context, as_int, drop_none, physical_name, tag_list


def log_group(ctx: Context, name: str, inputs: dict):
    logs = ctx.aws("logs")
    group = physical_name(inputs, name, max_len=512, allowed=r"[^\w/.#-]")
    logs.create_log_group(**drop_none({"logGroupName": group,
                                       "kmsKeyId": inputs.get("kmsKeyId"),
                                       "tags": {k: str(v) for k, v in
                                                (inputs.get("tags") or {}).items()}}))
    retention = as_int(inputs.get("retentionInDays"))
    if retention:
        logs.put_retention_policy(logGroupName=group, retentionInDays=retention)
    return group, {"arn": ctx.arn("logs", f"log-group:{group}"), "name": group}


def _dimensions(value: dict | None) -> list[dict]:
    return [{"Name": k, "Value": str(v)} for k, v in (value or {}).items()]


def _metric_queries(queries: list[dict]) -> list[dict]:
    result = []
    for query in queries:
        metric = query.get("metric")
        result.append(drop_none({
            "Id": query["id"], "Expression": query.get("expression"), "Label": query.get("label"),
            "ReturnData": query.get("returnData"), "Period": as_int(query.get("period")),
            "MetricStat": drop_none({
                "Metric": drop_none({"Namespace": metric.get("namespace"),
                                     "MetricName": metric["metricName"],
                                     "Dimensions": _dimensions(metric.get("dimensions"))}),
                "Period": as_int(metric["period"]), "Stat": metric["stat"],
                "Unit": metric.get("unit")}) if metric else None,
        }))
    return result


def metric_alarm(ctx: Context, name: str, inputs: dict):
    alarm_name = physical_name(inputs, name, max_len=255, allowed=r"[^\w .:/()#-]")
    cloudwatch = ctx.aws("cloudwatch")
    cloudwatch.put_metric_alarm(**drop_none({
        "AlarmName": alarm_name, "AlarmDescription": inputs.get("alarmDescription"),
        "ActionsEnabled": inputs.get("actionsEnabled", True),
        "AlarmActions": inputs.get("alarmActions"), "OKActions": inputs.get("okActions"),
        "InsufficientDataActions": inputs.get("insufficientDataActions"),
        "MetricName": inputs.get("metricName"), "Namespace": inputs.get("namespace"),
        "Statistic": inputs.get("statistic"), "ExtendedStatistic": inputs.get("extendedStatistic"),
        "Dimensions": _dimensions(inputs.get("dimensions")),
        "Period": as_int(inputs.get("period")), "Unit": inputs.get("unit"),
        "EvaluationPeriods": as_int(inputs["evaluationPeriods"]),
        "DatapointsToAlarm": as_int(inputs.get("datapointsToAlarm")),
        "Threshold": inputs.get("threshold"),
        "ComparisonOperator": inputs["comparisonOperator"],
        "TreatMissingData": inputs.get("treatMissingData"),
        "EvaluateLowSampleCountPercentile": inputs.get("evaluateLowSampleCountPercentile"),
        "Metrics": _metric_queries(inputs.get("metricQueries") or []),
        "ThresholdMetricId": inputs.get("thresholdMetricId"),
        "Tags": tag_list(inputs.get("tags")),
    }))
    arn = ctx.arn("cloudwatch", f"alarm:{alarm_name}")
    return alarm_name, {"arn": arn, "name": alarm_name}


def dashboard(ctx: Context, name: str, inputs: dict):
    dashboard_name = physical_name(inputs, name, key="dashboardName", max_len=255)
    ctx.aws("cloudwatch").put_dashboard(DashboardName=dashboard_name,
                                        DashboardBody=inputs["dashboardBody"])
    return dashboard_name, {"dashboardArn": ctx.arn("cloudwatch", f"dashboard/{dashboard_name}",
                                                    region=False),
                            "dashboardName": dashboard_name}


HANDLERS = {
    "aws:cloudwatch/logGroup:LogGroup": log_group,
    "aws:cloudwatch/metricAlarm:MetricAlarm": metric_alarm,
    "aws:cloudwatch/dashboard:Dashboard": dashboard,
}

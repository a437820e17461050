"""Monitoring: alarm topic, alarms and dashboard, checked on the mocked resource graph.

Every expectation is derived from the graph itself (its functions, dead-letter queues, API,
stage and state machine) and from the stack's config file, never from constants: a function or
queue that is not monitored, or a threshold that does not follow the config, fails a test.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest

from stack_settings import MonitoringSettings, settings_from_config
from tests.unit.mocks import ACCOUNT, REGION, Graph, Resource, evaluate, stack_config

PROGRAMS = Path(__file__).parent / "programs"
SAMPLE = PROGRAMS / "monitored_sample.py"
SAMPLE_EXTRA_FUNCTION = PROGRAMS / "monitored_sample_extra_function.py"

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
FUNCTION = "aws:lambda/function:Function"
QUEUE = "aws:sqs/queue:Queue"
REST_API = "aws:apigateway/restApi:RestApi"
STAGE = "aws:apigateway/stage:Stage"
STATE_MACHINE = "aws:sfn/stateMachine:StateMachine"
TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"
KMS_KEY = "aws:kms/key:Key"
LAMBDA_METRICS = ("Invocations", "Errors", "Duration", "Throttles")


@dataclass
class Case:
    stack: str
    graph: Graph
    settings: MonitoringSettings

    @property
    def prefix(self) -> str:
        return f"order-platform-{self.stack}"

    @property
    def alarms(self) -> list[Resource]:
        return self.graph.of_type(ALARM)

    def alarms_in(self, namespace: str) -> list[Resource]:
        return [a for a in self.alarms if a.inputs["namespace"] == namespace]

    @property
    def functions(self) -> list[Resource]:
        return self.graph.of_type(FUNCTION)

    @property
    def alarm_topic(self) -> Resource:
        arn = self.graph.outputs["AlarmTopicArn"]
        [topic] = [t for t in self.graph.of_type(TOPIC) if t.outputs["arn"] == arn]
        return topic

    @property
    def dashboard_body(self) -> dict:
        [dashboard] = self.graph.of_type(DASHBOARD)
        return json.loads(dashboard.inputs["dashboardBody"])

    @property
    def metric_widgets(self) -> list[dict]:
        return [w["properties"] for w in self.dashboard_body["widgets"] if w["type"] == "metric"]


def settings_of(stack: str) -> MonitoringSettings:
    return settings_from_config(stack_config(stack)).monitoring


def dead_letter_queue_names(graph: Graph) -> set[str]:
    """Queues that something in the graph sends its failures to."""
    arns = set()
    for queue in graph.of_type(QUEUE):
        if queue.inputs.get("redrivePolicy"):
            arns.add(json.loads(queue.inputs["redrivePolicy"])["deadLetterTargetArn"])
    for target in graph.of_type("aws:cloudwatch/eventTarget:EventTarget"):
        arns.add((target.inputs.get("deadLetterConfig") or {}).get("arn"))
    for config in graph.of_type("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"):
        on_failure = (config.inputs.get("destinationConfig") or {}).get("onFailure") or {}
        arns.add(on_failure.get("destination"))
    for pipe in graph.of_type("aws:pipes/pipe:Pipe"):
        stream = (pipe.inputs.get("sourceParameters") or {}).get("dynamodbStreamParameters") or {}
        arns.add((stream.get("deadLetterConfig") or {}).get("arn"))
    return {q.outputs["name"] for q in graph.of_type(QUEUE) if q.outputs["arn"] in arns}


def lines(widget: dict) -> list[list[str]]:
    return widget["metrics"]


def widget_for(case: Case, namespace: str, metric: str) -> dict:
    [widget] = [w for w in case.metric_widgets
                if any(line[:2] == [namespace, metric] for line in lines(w))]
    return widget


@pytest.fixture(scope="session")
def sample_graphs() -> dict[str, Graph]:
    return {"sample": evaluate("dev", program=SAMPLE),
            "sample-extra-function": evaluate("dev", program=SAMPLE_EXTRA_FUNCTION)}


@pytest.fixture(params=["dev", "prod", "local", "sample"])
def case(request, graphs, sample_graphs) -> Case:
    if request.param == "sample":
        return Case("dev", sample_graphs["sample"], settings_of("dev"))
    return Case(request.param, graphs[request.param], settings_of(request.param))


# -- alarms ---------------------------------------------------------------------------------

def test_one_alarm_per_function_metric_dead_letter_queue_api_and_workflow(case):
    g = case.graph
    # ... and one on the sweeper's StuckOrders metric, where the program has the sweeper.
    sweepers = [fn for fn in g.of_type(FUNCTION) if fn.name == "sweep-stuck-orders"]
    expected = (3 * len(case.functions) + len(dead_letter_queue_names(g))
                + 2 * len(g.of_type(REST_API)) + len(g.of_type(STATE_MACHINE)) + len(sweepers))
    assert case.functions and len(case.alarms) == expected
    assert len({a.inputs["name"] for a in case.alarms}) == len(case.alarms)


def test_every_function_has_errors_duration_and_throttles_alarms(case):
    monitored = {(a.inputs["dimensions"]["FunctionName"], a.inputs["metricName"])
                 for a in case.alarms_in("AWS/Lambda")}
    assert monitored == {(fn.outputs["name"], metric) for fn in case.functions
                         for metric in ("Errors", "Duration", "Throttles")}


def test_function_alarm_names_are_prefix_function_and_metric(case):
    for fn in case.functions:
        for suffix in ("errors", "duration", "throttles"):
            [alarm] = [a for a in case.alarms
                       if a.inputs["name"] == f"{case.prefix}-{fn.name}-{suffix}"]
            assert alarm.inputs["dimensions"] == {"FunctionName": fn.outputs["name"]}


def test_function_alarms_follow_the_stack_config(case):
    s = case.settings
    timeouts = {fn.outputs["name"]: fn.inputs["timeout"] for fn in case.functions}
    for alarm in case.alarms_in("AWS/Lambda"):
        i = alarm.inputs
        assert i["period"] == s.period_seconds
        if i["metricName"] == "Throttles":
            assert (i["statistic"], i["comparisonOperator"], i["threshold"]) == (
                "Sum", "GreaterThanOrEqualToThreshold", s.throttles_threshold)
            assert (i["evaluationPeriods"], i["datapointsToAlarm"]) == (1, 1)
            continue
        assert (i["evaluationPeriods"], i["datapointsToAlarm"]) == (
            s.evaluation_periods, s.datapoints_to_alarm)
        assert i["comparisonOperator"] == "GreaterThanThreshold"
        if i["metricName"] == "Errors":
            assert (i["statistic"], i["threshold"]) == ("Sum", s.errors_threshold)
        else:
            timeout = timeouts[i["dimensions"]["FunctionName"]]
            assert i["threshold"] == pytest.approx(s.duration_threshold_ratio * timeout * 1000)
            if s.duration_statistic == "Average":
                assert i["statistic"] == "Average" and "extendedStatistic" not in i
            else:
                assert i["extendedStatistic"] == s.duration_statistic and "statistic" not in i


def test_prod_alarms_differ_from_dev(graphs):
    def windows(stack):
        return {(a.inputs["name"].removeprefix(f"order-platform-{stack}-"), a.inputs["period"],
                 a.inputs["evaluationPeriods"], a.inputs["threshold"])
                for a in graphs[stack].of_type(ALARM)}

    dev, prod = settings_of("dev"), settings_of("prod")
    assert (dev.period_seconds, dev.evaluation_periods, dev.errors_threshold) != (
        prod.period_seconds, prod.evaluation_periods, prod.errors_threshold)
    assert windows("dev") != windows("prod")
    assert {a.inputs["period"] for a in graphs["prod"].of_type(ALARM)} == {prod.period_seconds}


def test_every_dead_letter_queue_has_a_depth_alarm(case):
    alarms = case.alarms_in("AWS/SQS")
    assert {a.inputs["dimensions"]["QueueName"] for a in alarms} == \
        dead_letter_queue_names(case.graph)
    for a in alarms:
        i = a.inputs
        assert (i["metricName"], i["statistic"], i["comparisonOperator"], i["threshold"]) == (
            "ApproximateNumberOfMessagesVisible", "Maximum", "GreaterThanOrEqualToThreshold", 1)
        assert list(i["dimensions"]) == ["QueueName"]


def test_api_alarms_use_the_api_name_and_stage_name(case):
    [api] = case.graph.of_type(REST_API)
    [stage] = case.graph.of_type(STAGE)
    alarms = {a.inputs["metricName"]: a.inputs for a in case.alarms_in("AWS/ApiGateway")}
    assert set(alarms) == {"5XXError", "Latency"}
    s = case.settings
    for i in alarms.values():
        assert i["dimensions"] == {"ApiName": api.inputs["name"],
                                   "Stage": stage.inputs["stageName"]}
        assert i["dimensions"]["ApiName"] != api.outputs["id"]
        assert (i["period"], i["evaluationPeriods"], i["datapointsToAlarm"]) == (
            s.period_seconds, s.evaluation_periods, s.datapoints_to_alarm)
        assert i["comparisonOperator"] == "GreaterThanThreshold"
    assert (alarms["5XXError"]["statistic"], alarms["5XXError"]["threshold"]) == (
        "Sum", s.api_5xx_threshold)
    assert (alarms["Latency"]["extendedStatistic"], alarms["Latency"]["threshold"]) == (
        "p99", s.api_latency_p99_ms)
    assert "statistic" not in alarms["Latency"]


def test_failed_workflow_executions_alarm(case):
    machines = case.graph.of_type(STATE_MACHINE)
    alarms = case.alarms_in("AWS/States")
    assert {a.inputs["dimensions"]["StateMachineArn"] for a in alarms} == \
        {m.outputs["arn"] for m in machines}
    for a in alarms:
        assert (a.inputs["metricName"], a.inputs["statistic"], a.inputs["comparisonOperator"],
                a.inputs["threshold"]) == (
            "ExecutionsFailed", "Sum", "GreaterThanOrEqualToThreshold", 1)


def test_workflow_alarm_exists_where_a_workflow_does(sample_graphs):
    assert len(sample_graphs["sample"].of_type(STATE_MACHINE)) == 1
    case = Case("dev", sample_graphs["sample"], settings_of("dev"))
    assert len(case.alarms_in("AWS/States")) == 1


def test_alarms_ignore_missing_data_and_notify_the_alarm_topic(case):
    topic_arn = case.alarm_topic.outputs["arn"]
    for alarm in case.alarms:
        assert alarm.inputs["treatMissingData"] == "notBreaching"
        assert alarm.inputs["alarmActions"] == [topic_arn]
        assert alarm.inputs["okActions"] == [topic_arn]
        assert alarm.options["parent"] == "monitoring"


# -- alarm topic ----------------------------------------------------------------------------

def test_alarm_topic_uses_the_customer_key_that_cloudwatch_may_use(case):
    [key] = case.graph.of_type(KMS_KEY)
    assert case.alarm_topic.inputs["kmsMasterKeyId"] == key.outputs["id"]
    assert "alias/aws/sns" not in case.alarm_topic.inputs["kmsMasterKeyId"]
    statements = json.loads(key.inputs["policy"])["Statement"]
    cloudwatch = [st for st in statements
                  if "cloudwatch.amazonaws.com" in st["Principal"].get("Service", [])]
    assert cloudwatch and {"kms:GenerateDataKey*", "kms:Decrypt"} <= set(cloudwatch[0]["Action"])


def test_topic_policy_lets_exactly_the_stack_alarms_publish(case):
    topic = case.alarm_topic
    [policy] = [p for p in case.graph.of_type(TOPIC_POLICY)
                if p.inputs["arn"] == topic.outputs["arn"]]
    [statement] = json.loads(policy.inputs["policy"])["Statement"]
    assert statement["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert (statement["Effect"], statement["Action"], statement["Resource"]) == (
        "Allow", "sns:Publish", topic.outputs["arn"])
    sources = statement["Condition"]["ArnEquals"]["aws:SourceArn"]
    assert sorted(sources) == sorted(
        f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{a.inputs['name']}" for a in case.alarms)


def test_email_subscription_exists_iff_alarm_email_is_set(case):
    subscriptions = [s for s in case.graph.of_type(SUBSCRIPTION)
                     if s.inputs["topic"] == case.alarm_topic.outputs["arn"]]
    if case.settings.alarm_email is None:
        assert subscriptions == []
    else:
        [subscription] = subscriptions
        assert (subscription.inputs["protocol"], subscription.inputs["endpoint"]) == (
            "email", case.settings.alarm_email)


def test_local_stack_has_no_alarm_email_and_dev_has_one():
    assert settings_of("local").alarm_email is None
    assert settings_of("dev").alarm_email is not None


# -- dashboard ------------------------------------------------------------------------------

def test_dashboard_is_named_after_the_stack_and_exported(case):
    [dashboard] = case.graph.of_type(DASHBOARD)
    assert dashboard.inputs["dashboardName"] == f"{case.prefix}-operations"
    assert case.graph.outputs["DashboardName"] == f"{case.prefix}-operations"


def test_every_metric_widget_is_complete(case):
    widgets = case.metric_widgets
    assert len(widgets) >= 6  # four Lambda graphs, API, queues, workflow
    for w in widgets:
        assert w["region"] == REGION
        assert w["period"] == case.settings.period_seconds
        assert w["view"] and w["stat"] and w["title"]
        assert w["metrics"] and all(isinstance(line, list) and len(line) >= 4
                                    and all(isinstance(part, str) for part in line)
                                    for line in w["metrics"])


def test_every_dashboard_dimension_names_a_resource_of_the_graph(case):
    g = case.graph
    known = {
        "FunctionName": {fn.outputs["name"] for fn in g.of_type(FUNCTION)},
        "QueueName": {q.outputs["name"] for q in g.of_type(QUEUE)},
        "ApiName": {a.inputs["name"] for a in g.of_type(REST_API)},
        "Stage": {s.inputs["stageName"] for s in g.of_type(STAGE)},
        "StateMachineArn": {m.outputs["arn"] for m in g.of_type(STATE_MACHINE)},
        # Powertools' dimension on EMF metrics: the function's area.
        "service": {fn.inputs["environment"]["variables"]["POWERTOOLS_SERVICE_NAME"]
                    for fn in g.of_type(FUNCTION)},
    }
    seen = set()
    for w in case.metric_widgets:
        for line in lines(w):
            dimensions = dict(zip(line[2::2], line[3::2]))
            for dimension, value in dimensions.items():
                assert value in known[dimension], (w["title"], dimension, value)
                seen.add(dimension)
    assert {"FunctionName", "QueueName", "ApiName", "Stage"} <= seen


def test_lambda_graphs_have_one_line_per_function(case):
    names = sorted(fn.outputs["name"] for fn in case.functions)
    for metric in LAMBDA_METRICS:
        widget = widget_for(case, "AWS/Lambda", metric)
        assert sorted(line[3] for line in lines(widget)) == names
    assert widget_for(case, "AWS/Lambda", "Duration")["stat"] == case.settings.duration_statistic


def test_api_queue_and_workflow_widgets(case):
    assert widget_for(case, "AWS/ApiGateway", "Latency")["stat"] == "p99"
    requests = widget_for(case, "AWS/ApiGateway", "Count")
    assert {line[1] for line in lines(requests)} == {"Count", "4XXError", "5XXError"}
    depth = widget_for(case, "AWS/SQS", "ApproximateNumberOfMessagesVisible")
    assert dead_letter_queue_names(case.graph) <= {line[3] for line in lines(depth)}
    if case.graph.of_type(STATE_MACHINE):
        workflow = widget_for(case, "AWS/States", "ExecutionsFailed")
        assert {line[1] for line in lines(workflow)} == {
            "ExecutionsStarted", "ExecutionsSucceeded", "ExecutionsFailed"}


def test_main_queue_is_on_the_depth_graph_without_an_alarm(sample_graphs):
    case = Case("dev", sample_graphs["sample"], settings_of("dev"))
    [main_queue] = [q for q in case.graph.of_type(QUEUE) if q.inputs.get("redrivePolicy")]
    depth = widget_for(case, "AWS/SQS", "ApproximateNumberOfMessagesVisible")
    assert main_queue.outputs["name"] in {line[3] for line in lines(depth)}
    assert main_queue.outputs["name"] not in {
        a.inputs["dimensions"]["QueueName"] for a in case.alarms_in("AWS/SQS")}


def test_alarm_status_widget_lists_every_alarm(case):
    listed = [arn for w in case.dashboard_body["widgets"] if w["type"] == "alarm"
              for arn in w["properties"]["alarms"]]
    assert sorted(listed) == sorted(a.outputs["arn"] for a in case.alarms)


# -- a new function is monitored with no change to Monitoring --------------------------------

def test_a_function_added_to_a_component_gets_its_alarms_and_dashboard_lines(sample_graphs):
    before = Case("dev", sample_graphs["sample"], settings_of("dev"))
    after = Case("dev", sample_graphs["sample-extra-function"], settings_of("dev"))
    [extra] = [fn for fn in after.functions
               if fn.outputs["name"] not in {f.outputs["name"] for f in before.functions}]
    extra_name = extra.outputs["name"]

    old = {a.inputs["name"] for a in before.alarms}
    new = {a.inputs["name"]: a for a in after.alarms if a.inputs["name"] not in old}
    assert old <= {a.inputs["name"] for a in after.alarms}
    assert sorted(new) == [f"{after.prefix}-{extra.name}-{suffix}"
                           for suffix in ("duration", "errors", "throttles")]
    assert all(a.inputs["dimensions"] == {"FunctionName": extra_name} for a in new.values())

    for metric in LAMBDA_METRICS:
        old_lines = lines(widget_for(before, "AWS/Lambda", metric))
        new_lines = lines(widget_for(after, "AWS/Lambda", metric))
        assert [line for line in new_lines if line not in old_lines] == [
            ["AWS/Lambda", metric, "FunctionName", extra_name]]

    [policy] = after.graph.of_type(TOPIC_POLICY)
    sources = json.loads(policy.inputs["policy"])["Statement"][0]["Condition"]["ArnEquals"][
        "aws:SourceArn"]
    assert {f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{n}" for n in new} <= set(sources)


# -- arguments ------------------------------------------------------------------------------

def test_an_unpublished_api_is_refused_before_anything_is_registered():
    from components.monitoring import Monitoring, MonitoringArgs

    args = MonitoringArgs(name_prefix="p", region=REGION, account_id=ACCOUNT,
                          settings=MonitoringSettings(), key=None, functions=[],
                          api=SimpleNamespace(api=None))
    with pytest.raises(ValueError, match="publish"):
        Monitoring("monitoring", args)

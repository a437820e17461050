"""Step Functions execution logs for moto, which stores a state machine's `loggingConfiguration`
but starts every execution without a logging session (its interpreter can log, and nothing
turns it on).

Each execution of a state machine whose level is ALL, ERROR or FATAL gets a session that writes
each history event to the configured log group as it happens (not at the end), filtered by the
level as AWS filters it (moto's own tables: ERROR keeps the failures, FATAL the execution's
end in failure), input, output and task parameters left out unless `includeExecutionData`. A record is AWS's
JSON: `id`, `type`, `details`, `previous_event_id`, `event_timestamp` (epoch milliseconds, as
a string), `execution_arn`, `redrive_count`. Each execution writes to its own stream,
`states/<state machine>/<YYYY-MM-DD-HH-MM of its start>/<execution name>`, created in a log
group that must exist (the program creates it, as on AWS; without it nothing is written).

Definitions: moto parsed a state machine's ASL (an ANTLR parse and a tree of evaluation
components) at the start of every execution, ~9% of its CPU per order. The tree is a function
of the definition text alone and keeps no execution's state (that is in each execution's
environment), so it is parsed once per definition text and shared: an UpdateStateMachine
changes the text, so the next execution parses the new one. The one lazily set field of the
tree, a component's heap key (where retries count attempts), is set under a lock, since
executions now share components.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
from datetime import datetime, timezone

log = logging.getLogger("localcloud.execution_logs")

PARSED_DEFINITIONS = 64  # kept, least recently used dropped first


def parse_each_definition_once() -> None:
    from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    if getattr(ExecutionWorker, "_localcloud_parsed_once", False):
        return
    program = functools.lru_cache(maxsize=PARSED_DEFINITIONS)(
        lambda definition: AmazonStateLanguageParser.parse(definition)[0])
    ExecutionWorker._get_evaluation_entrypoint = (
        lambda self: program(self._evaluation_details.state_machine_details.definition))
    ExecutionWorker._localcloud_program = program  # for tests: cache_info()

    key_lock = threading.Lock()
    unlocked = EvalComponent.heap_key.fget

    def heap_key(self) -> str:
        with key_lock:
            return unlocked(self)

    EvalComponent.heap_key = property(heap_key)
    ExecutionWorker._localcloud_parsed_once = True


def install() -> None:
    from moto.stepfunctions.parser import models
    from moto.stepfunctions.parser.asl.eval.event import logging as sfn_logging

    if getattr(models.Execution, "_localcloud_logs", False):
        return

    class Session(sfn_logging.CloudWatchLoggingSession):
        def __init__(self, execution_arn, configuration, stream: str):
            super().__init__(execution_arn, configuration)
            self.stream = stream
            self.stream_created = False

        def publish_history_log(self, history_log) -> None:
            if not self.configuration.include_execution_data and history_log.get("details"):
                # moto keeps a task's `parameters` (the state's data, e.g. a payment token);
                # AWS leaves them out with the rest of the execution data.
                history_log = {**history_log, "details": {
                    key: value for key, value in history_log["details"].items()
                    if key != "parameters"}}
            moment = _moment(history_log["event_timestamp"])
            record = {**history_log, "type": str(getattr(history_log["type"], "value",
                                                          history_log["type"])),
                      "event_timestamp": str(moment), "redrive_count": "0"}
            self._write({"timestamp": moment, "message": json.dumps(record)})

        def _write(self, event: dict) -> None:
            group = self.configuration.log_group_name
            try:
                if not self.stream_created:
                    if self.stream not in self._logs_client.groups[group].streams:
                        self._logs_client.create_log_stream(group, self.stream)
                    self.stream_created = True
                self._logs_client.put_log_events(group, self.stream, [event])
            except Exception as error:  # no such log group: AWS drops the records too
                log.warning("execution log of %s not written to %s: %r", self.execution_arn,
                            group, error)

    class Execution(models.Execution):
        _localcloud_logs = True

        def __init__(self, *args, cloud_watch_logging_session=None, **kwargs):
            if cloud_watch_logging_session is None:
                cloud_watch_logging_session = _session(Session, sfn_logging, **kwargs)
            super().__init__(*args, cloud_watch_logging_session=cloud_watch_logging_session,
                             **kwargs)

    models.Execution = Execution


def _session(session_type, sfn_logging, *, state_machine, exec_arn, name, start_date, **_):
    """A logging session for an execution, or None when its state machine logs nothing."""
    settings = dict(getattr(state_machine, "loggingConfiguration", None) or {})
    settings.setdefault("includeExecutionData", False)
    configuration = sfn_logging.CloudWatchLoggingConfiguration.from_logging_configuration(
        state_machine_arn=state_machine.arn, logging_configuration=settings)
    if configuration is None:
        return None
    stream = f"states/{state_machine.name}/{start_date:%Y-%m-%d-%H-%M}/{name}"
    return session_type(exec_arn, configuration, stream)


def _moment(timestamp) -> int:
    """Epoch milliseconds of moto's event timestamp ("2026-12-03T13:10:00.123Z")."""
    if isinstance(timestamp, datetime):
        moment = timestamp
    else:
        moment = datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%S.%fZ")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp() * 1000)

"""The stack's data and deployment survive a restart: the project's `local` stack on real local
clouds started one after another on one state folder (a copy of the project, so its stack file
can be changed), driven over HTTP and boto3.

The tests run in order and share the state folder: each start costs seconds, so they are few.
"""

from __future__ import annotations

import os
import re
import shutil
import socket

import pytest

from localcloud.app.cloud import start_local_cloud
from localcloud.core.clients import ApiSession, local_client, sign_in
from localcloud.deploy.stack_config import DeployError
from localcloud.emulator.moto_server import free_port
from localcloud.emulator.snapshot import saved_token
from tests.e2e.orders import final_order, place, seed
from tests.localcloud.paths import FIXTURE_APP, REPO_ROOT

PASSWORD = "Restart-password-1"
COPIED = ("__main__.py", "Pulumi.yaml", "Pulumi.local.yaml", "stack_settings.py",
          "powertools_layer.py", "powertools_layers.json", "components", "lambdas", "policy")


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> str:
    root = tmp_path_factory.mktemp("project")
    for name in COPIED:
        source, target = os.path.join(REPO_ROOT, name), root / name
        if os.path.isdir(source):
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, target)
    return str(root)


@pytest.fixture(scope="module")
def state_dir(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("state"))


@pytest.fixture(scope="module")
def saved() -> dict:
    """What one test leaves for the next (the tests run in file order)."""
    return {}


PORT = free_port(socket.gethostbyname("localhost"))  # a restart serves where the state was saved


def start(project: str, state_dir: str, *, port: int = PORT, **options):
    return start_local_cloud(project, stack="local", port=port, time_scale=60, console=None,
                             state_dir=state_dir, **options)


def client(cloud, service: str):
    return local_client(service, cloud.endpoint_url, cloud.region)


def state_line(cloud) -> str:
    return next(note for note in cloud.deployment.notes if note.startswith("state: "))


def test_every_resource_of_the_fixture_program_is_adopted_on_a_restart(tmp_path):
    """The fixture program has the types the project lacks (e.g. an AWS-managed policy
    attachment, which moto refuses: the refusal is replayed as it was answered)."""
    for fresh in (True, False):
        cloud = start(FIXTURE_APP, str(tmp_path), fresh=fresh)
        try:
            actions = cloud.deployment.actions
        finally:
            cloud.stop()
    assert set(actions) == {"adopt"} and actions["adopt"] == sum(cloud.deployment.created.values())


def test_a_restart_keeps_the_data_and_adopts_every_resource(project, state_dir, saved):
    cloud = start(project, state_dir)
    try:
        assert state_line(cloud) == "state: fresh"
        outputs = cloud.deployment.outputs
        tokens = sign_in(client(cloud, "cognito-idp"), outputs["UserPoolId"],
                         outputs["UserPoolClientId"], "restart@example.com", PASSWORD)
        api = ApiSession(outputs["ApiUrl"], token=tokens["IdToken"])
        user = api.post("/users", json={"name": "Before restart"}).json()
        seed(lambda service: client(cloud, service), outputs, widget=10)
        before = final_order(api, place(api, user, 25, [{"productId": "widget", "quantity": 1}])
                             ["orderId"])
        assert before["status"] == "CONFIRMED"
        created = cloud.deployment.actions["create"]
    finally:
        cloud.stop()

    cloud = start(project, state_dir)
    try:
        assert state_line(cloud) == (f"state: restored from {state_dir}/state "
                                     f"({created} resources adopted, 0 changed)")
        assert cloud.deployment.actions == {"adopt": created}  # nothing was created again
        assert f"{created} resources ({created} adopted)" in cloud.summary()
        assert cloud.deployment.outputs == outputs
        # The token signed before the restart still verifies: the pool's keys were kept.
        api = ApiSession(outputs["ApiUrl"], token=tokens["IdToken"])
        assert api.get(f"/users/{user['userId']}").json()["name"] == "Before restart"
        assert api.get(f"/orders/{before['orderId']}").json()["status"] == "CONFIRMED"
        after = final_order(api, place(api, user, 30, [{"productId": "widget", "quantity": 2}])
                            ["orderId"])
        assert after["status"] == "CONFIRMED"  # API → bus → queue → workflow, after a restart
        stock = client(cloud, "dynamodb").get_item(
            TableName=outputs["InventoryTableName"], Key={"productId": {"S": "widget"}})
        assert stock["Item"]["stock"]["N"] == "7"
    finally:
        cloud.stop()
    saved.update(outputs=outputs, user=user, created=created)


def _edit_stack_file(project: str, old: str, new: str) -> None:
    path = os.path.join(project, "Pulumi.local.yaml")
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    assert old in text
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text.replace(old, new))


def test_a_changed_function_setting_is_applied_in_place(project, state_dir, saved):
    _edit_stack_file(project, "queue: {memory: 256, timeout: 3}", "queue: {memory: 512, timeout: 3}")
    cloud = start(project, state_dir)
    try:
        actions = cloud.deployment.actions
        assert actions.get("create", 0) == 0 and actions["update"] >= 1
        assert actions["adopt"] + actions["update"] == saved["created"]
        assert re.fullmatch(rf"state: restored from .* \({actions['adopt']} resources adopted, "
                            rf"{actions['update']} changed\)", state_line(cloud))
        memory = {spec.name: spec.memory_mb for spec in cloud.registry.functions.values()}
        assert memory["order-platform-local-process-order"] == 512
        configuration = client(cloud, "lambda").get_function_configuration(
            FunctionName="order-platform-local-process-order")
        assert configuration["MemorySize"] == 512
        users = client(cloud, "dynamodb").scan(TableName=saved["outputs"]["UsersTableName"])
        assert saved["user"]["userId"] in {item["userId"]["S"] for item in users["Items"]}
    finally:
        cloud.stop()


def test_a_change_that_cannot_be_applied_in_place_is_named_and_fresh_starts_empty(
        project, state_dir, saved):
    token = saved_token(os.path.join(state_dir, "state"))
    elsewhere = free_port(socket.gethostbyname("localhost"))
    with pytest.raises(DeployError, match=f"was deployed at http://localhost:{PORT}: start on"):
        start(project, state_dir, port=elsewhere)
    _edit_stack_file(project, "maxReceiveCount: 3", "maxReceiveCount: 4")
    with pytest.raises(DeployError) as failed:
        start(project, state_dir)
    message = str(failed.value)
    assert "needs a restart with --fresh" in message
    assert re.search(r"aws:sqs/queue:Queue order-queue\b.*redrivePolicy changed", message)
    assert saved_token(os.path.join(state_dir, "state")) == token  # the saved state is kept

    cloud = start(project, state_dir, fresh=True)
    try:
        assert state_line(cloud) == "state: fresh"
        assert cloud.deployment.actions == {"create": saved["created"]}
        users = client(cloud, "dynamodb").scan(TableName=saved["outputs"]["UsersTableName"])
        assert users["Items"] == []
    finally:
        cloud.stop()

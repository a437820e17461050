"""SNS Publish and PublishBatch requests, parsed in both protocols the SDKs speak: the query
protocol (form-encoded request, XML response) and the JSON protocol (newer SDKs). The fan-out
needs what moto accepted: topic, message, subject, attributes, message id, structure.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from urllib.parse import parse_qs

from localcloud.core.http import GatewayRequest, HttpResponse

PUBLISH_TARGETS = ("AmazonSimpleNotificationService.Publish",
                   "AmazonSimpleNotificationService.PublishBatch")


def is_publish(request: GatewayRequest) -> bool:
    """Whether a request (to be forwarded to moto) is an SNS Publish or PublishBatch."""
    if "x-www-form-urlencoded" in (request.header("Content-Type") or ""):
        return b"Action=Publish" in request.body  # most form posts are other query-protocol calls
    return request.header("X-Amz-Target", "") in PUBLISH_TARGETS


def publications(request: GatewayRequest, response: HttpResponse):
    """(topic_arn, message, subject, attributes, message_id, message_structure) for each
    message of a Publish/PublishBatch that moto accepted."""
    if "x-www-form-urlencoded" in (request.header("Content-Type") or ""):
        form = {k: v[0] for k, v in parse_qs(request.body.decode(),
                                             keep_blank_values=True).items()}
        if form.get("Action") not in ("Publish", "PublishBatch"):
            return
        yield from publications_from_query(form, response.body.decode())
    else:
        yield from publications_from_json(json.loads(request.body or b"{}"),
                                          json.loads(response.body or b"{}"))


def _query_attributes(form: dict[str, str], prefix: str) -> dict[str, dict]:
    """`MessageAttributes.entry.N.Name/Value.DataType/Value.StringValue` → boto3's shape."""
    attributes: dict[str, dict] = {}
    index = 1
    while f"{prefix}.entry.{index}.Name" in form:
        entry = f"{prefix}.entry.{index}"
        value = {"DataType": form.get(f"{entry}.Value.DataType", "String")}
        for kind in ("StringValue", "BinaryValue"):
            if f"{entry}.Value.{kind}" in form:
                value[kind] = form[f"{entry}.Value.{kind}"]
        attributes[form[f"{entry}.Name"]] = value
        index += 1
    return attributes


def _xml_texts(xml: str, tag: str) -> list[str]:
    root = ElementTree.fromstring(xml)
    return [element.text or "" for element in root.iter() if element.tag.split("}")[-1] == tag]


def publications_from_query(form: dict[str, str], response_xml: str):
    """(topic_arn, message, subject, attributes, message_id, message_structure) for each
    message of a query-protocol Publish/PublishBatch that moto accepted."""
    topic_arn = form.get("TopicArn") or form.get("TargetArn") or ""
    if form["Action"] == "Publish":
        message_id = (_xml_texts(response_xml, "MessageId") or [""])[0]
        yield (topic_arn, form.get("Message", ""), form.get("Subject"),
               _query_attributes(form, "MessageAttributes"), message_id,
               form.get("MessageStructure"))
        return
    root = ElementTree.fromstring(response_xml)
    accepted = {}
    for element in root.iter():
        if element.tag.split("}")[-1] == "member":
            fields = {child.tag.split("}")[-1]: child.text for child in element}
            if "MessageId" in fields and "Id" in fields:
                accepted[fields["Id"]] = fields["MessageId"]
    index = 1
    while f"PublishBatchRequestEntries.member.{index}.Id" in form:
        entry = f"PublishBatchRequestEntries.member.{index}"
        entry_id = form[f"{entry}.Id"]
        if entry_id in accepted:
            yield (topic_arn, form.get(f"{entry}.Message", ""), form.get(f"{entry}.Subject"),
                   _query_attributes(form, f"{entry}.MessageAttributes"), accepted[entry_id],
                   form.get(f"{entry}.MessageStructure"))
        index += 1


def publications_from_json(request: dict, response: dict):
    """The same for the JSON protocol (newer SDKs)."""
    topic_arn = request.get("TopicArn") or request.get("TargetArn") or ""
    if "PublishBatchRequestEntries" not in request:
        yield (topic_arn, request.get("Message", ""), request.get("Subject"),
               request.get("MessageAttributes") or {}, response.get("MessageId", ""),
               request.get("MessageStructure"))
        return
    accepted = {item["Id"]: item["MessageId"] for item in response.get("Successful") or []}
    for entry in request["PublishBatchRequestEntries"]:
        if entry["Id"] in accepted:
            yield (topic_arn, entry.get("Message", ""), entry.get("Subject"),
                   entry.get("MessageAttributes") or {}, accepted[entry["Id"]],
                   entry.get("MessageStructure"))

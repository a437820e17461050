"""Request models and the draft-04 schemas generated from them (lambdas/shared/models.py).

Every sample is checked by both the pydantic model (what the Lambda enforces) and the generated
JSON Schema (what API Gateway enforces), so the two cannot drift apart.
"""

import json

import pytest
from jsonschema import Draft4Validator
from pydantic import BaseModel, Field, ValidationError

from lambdas.shared.models import API_MODELS, OrderCreate, UserCreate, UserUpdate, api_schema

ITEM = {"productId": "p-1", "quantity": 2}
ORDER = {"customerId": "c-1", "items": [ITEM], "amount": 19.99, "paymentToken": "tok_ok"}

GOOD = {
    UserCreate: [
        {"name": "Ann"},
        {"name": "A" * 100, "age": 0},
        {"name": "Ann", "age": 150},
        {"name": " Ann Lee "},
    ],
    UserUpdate: [{"name": "Bob"}, {"age": 42}, {"name": "Bob", "age": 1}],
    OrderCreate: [
        ORDER,
        {**ORDER, "amount": 0},
        {**ORDER, "items": [{"productId": "p", "quantity": 1000}] * 50},
        {**ORDER, "customerId": "c" * 64, "items": [{"productId": "Sku_1.a:b-C", "quantity": 1}]},
    ],
}

BAD = {
    UserCreate: [
        {},  # name missing
        {"email": "ann@example.com", "name": "Ann"},  # the email comes from the token
        {"name": ""},
        {"name": "   "},  # blank
        {"name": "Ann\u0000"},  # control characters
        {"name": "Ann\nLee"},
        {"name": "Ann\u007f"},
        {"name": "A" * 101},
        {"name": "Ann", "age": -1},
        {"name": "Ann", "age": 151},
        {"name": "Ann", "age": "5"},
        {"name": "Ann", "age": 1.5},
        {"name": "Ann", "age": None},
        {"name": "Ann", "role": "admin"},
    ],
    UserUpdate: [
        {},
        {"nickname": "b"},
        {"email": "bob@example.org"},
        {"name": None},
        {"name": "\t"},
        {"age": 200},
    ],
    OrderCreate: [
        {k: v for k, v in ORDER.items() if k != "paymentToken"},
        {**ORDER, "items": []},
        {**ORDER, "items": [ITEM] * 51},
        {**ORDER, "items": [{"productId": "p", "quantity": 0}]},
        {**ORDER, "items": [{"productId": "p", "quantity": 1001}]},
        {**ORDER, "items": [{"productId": "", "quantity": 1}]},
        {**ORDER, "items": [{**ITEM, "price": 3}]},
        {**ORDER, "amount": -0.01},
        {**ORDER, "amount": "10"},
        {**ORDER, "customerId": "c" * 65},
        {**ORDER, "customerId": "c 1"},
        {**ORDER, "customerId": "c-1\u0000"},
        {**ORDER, "items": [{"productId": "p\u00e9", "quantity": 1}]},
        {**ORDER, "items": [{"productId": "p/1", "quantity": 1}]},
        {**ORDER, "items": [{"productId": 7, "quantity": 1}]},
        {**ORDER, "paymentToken": ""},
        {**ORDER, "extra": True},
    ],
}


def _cases(table):
    return [pytest.param(model, sample, id=f"{model.__name__}-{i}") for model, samples in table.items() for i, sample in enumerate(samples)]


@pytest.mark.parametrize("model", list(API_MODELS.values()), ids=list(API_MODELS))
def test_schema_is_self_contained_draft04(model):
    schema = api_schema(model)
    text = json.dumps(schema)

    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    Draft4Validator.check_schema(schema)
    for forbidden in ('"$ref"', '"$defs"', '"title"', '"anyOf"', '"null"'):
        assert forbidden not in text
    assert schema["additionalProperties"] is False


@pytest.mark.parametrize(("model", "sample"), _cases(GOOD))
def test_good_samples_pass_model_and_schema(model, sample):
    assert list(Draft4Validator(api_schema(model)).iter_errors(sample)) == []
    model.model_validate(sample)


@pytest.mark.parametrize(("model", "sample"), _cases(BAD))
def test_bad_samples_fail_model_and_schema(model, sample):
    assert list(Draft4Validator(api_schema(model)).iter_errors(sample)) != []
    with pytest.raises(ValidationError):
        model.model_validate(sample)


def test_optional_fields_are_plain_typed_properties():
    age = api_schema(UserCreate)["properties"]["age"]

    assert age == {"type": "integer", "minimum": 0, "maximum": 150}
    assert api_schema(UserCreate)["required"] == ["name"]


def test_user_schemas_take_no_email_refuse_blank_names_and_need_one_property():
    for model in (UserCreate, UserUpdate):
        schema = api_schema(model)
        assert "email" not in schema["properties"]
        assert schema["properties"]["name"]["pattern"]
    assert api_schema(UserUpdate)["minProperties"] == 1


def test_order_items_are_inlined():
    items = api_schema(OrderCreate)["properties"]["items"]

    assert items["minItems"] == 1 and items["maxItems"] == 50
    assert items["items"]["properties"]["quantity"] == {"type": "integer", "minimum": 1, "maximum": 1000}


def test_exclusive_bounds_become_draft04_booleans_and_title_properties_survive():
    class Sample(BaseModel):
        title: str
        price: float = Field(gt=0, lt=10)

    schema = api_schema(Sample)

    assert schema["properties"]["price"] == {
        "type": "number",
        "minimum": 0,
        "exclusiveMinimum": True,
        "maximum": 10,
        "exclusiveMaximum": True,
    }
    assert schema["properties"]["title"] == {"type": "string"}


def test_user_update_changes_are_only_the_fields_sent():
    assert UserUpdate.model_validate({"age": 30}).changes() == {"age": 30}


def test_null_is_reported_on_its_field():
    with pytest.raises(ValidationError) as caught:
        UserUpdate.model_validate({"name": None})

    assert caught.value.errors()[0]["loc"] == ("name",)

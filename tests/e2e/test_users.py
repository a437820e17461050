"""Scenario a: the users API over HTTP, as a client sees it."""

import uuid


def test_users_crud_round_trip(api):
    created = api.post("/users", json={"email": "ada@example.com", "name": "Ada", "age": 36})
    assert created.status_code == 201, created.text
    user = created.json()
    assert user["userId"] and user["createdAt"] == user["updatedAt"]
    assert created.headers["Access-Control-Allow-Origin"] == "*"

    fetched = api.get(f"/users/{user['userId']}")
    assert fetched.status_code == 200 and fetched.json()["email"] == "ada@example.com"

    updated = api.put(f"/users/{user['userId']}", json={"name": "Ada Lovelace"})
    assert updated.status_code == 200
    assert updated.json()["name"] == "Ada Lovelace" and updated.json()["age"] == 36

    deleted = api.delete(f"/users/{user['userId']}")
    assert deleted.status_code == 204 and deleted.content == b""
    assert api.get(f"/users/{user['userId']}").status_code == 404


def test_invalid_body_is_rejected_by_the_gateway_model(api):
    response = api.post("/users", json={"email": "not-an-email", "name": ""})
    assert response.status_code == 400
    assert response.json()["message"].startswith("Invalid request body")
    # Gateway responses carry the CORS headers although no Lambda ran.
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_unknown_user_and_unknown_route(api):
    missing = api.get(f"/users/{uuid.uuid4()}")
    assert missing.status_code == 404 and "message" in missing.json()
    unknown = api.get("/nothing-here")
    assert unknown.status_code == 403
    assert unknown.json() == {"message": "Missing Authentication Token"}


def test_update_of_missing_user_is_404(api):
    assert api.put(f"/users/{uuid.uuid4()}", json={"name": "Nobody"}).status_code == 404


def test_cors_preflight(api):
    response = api.options("/users/123", headers={
        "Origin": "https://app.example.com", "Access-Control-Request-Method": "PUT"})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "PUT" in response.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in response.headers["Access-Control-Allow-Headers"]

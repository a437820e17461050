"""Scenario a: the users API over HTTP, as a signed-in client sees it."""


def test_users_crud_round_trip(caller):
    ada = caller(register=False)
    created = ada.post("/users", json={"name": " Ada ", "age": 36})
    assert created.status_code == 201, created.text
    user = created.json()
    # registered under the caller's sub, with the email of their token
    assert (user["userId"], user["email"], user["name"]) == (ada.sub, ada.email, "Ada")
    assert user["createdAt"] == user["updatedAt"]
    assert created.headers["Access-Control-Allow-Origin"] == "*"

    fetched = ada.get(f"/users/{ada.sub}")
    assert fetched.status_code == 200 and fetched.json()["email"] == ada.email

    updated = ada.put(f"/users/{ada.sub}", json={"name": "Ada Lovelace"})
    assert updated.status_code == 200
    assert updated.json()["name"] == "Ada Lovelace" and updated.json()["age"] == 36

    deleted = ada.delete(f"/users/{ada.sub}")
    assert deleted.status_code == 204 and deleted.content == b""
    assert ada.get(f"/users/{ada.sub}").status_code == 404


def test_registering_twice_is_409_and_deleting_frees_the_email(caller):
    ada = caller()
    again = ada.post("/users", json={"name": "Ada again"})
    assert again.status_code == 409 and again.json() == {"message": "User already exists"}
    assert ada.delete(f"/users/{ada.sub}").status_code == 204
    assert ada.post("/users", json={"name": "Ada"}).status_code == 201


def test_invalid_body_is_rejected_by_the_gateway_model(caller):
    response = caller(register=False).post("/users", json={"name": "   "})
    assert response.status_code == 400
    assert response.json()["message"].startswith("Invalid request body")
    # Gateway responses carry the CORS headers although no Lambda ran.
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_unregistered_user_and_unknown_route(caller, api):
    newcomer = caller(register=False)
    missing = newcomer.get(f"/users/{newcomer.sub}")
    assert missing.status_code == 404 and "message" in missing.json()
    unknown = api.get("/nothing-here")
    assert unknown.status_code == 403
    assert unknown.json() == {"message": "Missing Authentication Token"}


def test_update_of_missing_user_is_404(caller):
    newcomer = caller(register=False)
    assert newcomer.put(f"/users/{newcomer.sub}", json={"name": "Nobody"}).status_code == 404


def test_cors_preflight_needs_no_token(anonymous):
    response = anonymous.options("/users/123", headers={
        "Origin": "https://app.example.com", "Access-Control-Request-Method": "PUT"})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "PUT" in response.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in response.headers["Access-Control-Allow-Headers"]

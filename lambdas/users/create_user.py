"""create-user: POST /users -> 201 with the caller's profile (id = their `sub`, email from
their token); 409 when they are registered or another account holds the email."""

from http import HTTPStatus

from lambdas.shared.logic import users
from lambdas.shared.plumbing.api import api_handler, create_app, json_response, parse_body
from lambdas.shared.plumbing.caller import current_caller
from lambdas.shared.plumbing.observability import count
from lambdas.shared.schemas.requests import UserCreate

app = create_app()


@app.post("/users")
def create_user():
    user = users.create_user(current_caller(app), parse_body(app, UserCreate))
    count("UserCreated")
    return json_response(HTTPStatus.CREATED, user)


handler = api_handler(app)

"""create-user: POST /users -> 201 with the stored user."""

from http import HTTPStatus

from lambdas.shared import users
from lambdas.shared.api import api_handler, create_app, json_response, parse_body
from lambdas.shared.models import UserCreate
from lambdas.shared.observability import count

app = create_app()


@app.post("/users")
def create_user():
    user = users.create_user(parse_body(app, UserCreate))
    count("UserCreated")
    return json_response(HTTPStatus.CREATED, user)


handler = api_handler(app)

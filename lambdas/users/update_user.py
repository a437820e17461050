"""update-user: PUT /users/{userId} -> 200 with the updated user, 403 for another caller's id
(admins excepted), or 404. Partial update."""

from http import HTTPStatus

from lambdas.shared.logic import users
from lambdas.shared.plumbing.api import api_handler, create_app, json_response, parse_body
from lambdas.shared.plumbing.caller import current_caller
from lambdas.shared.plumbing.observability import count
from lambdas.shared.schemas.requests import UserUpdate

app = create_app()


@app.put("/users/<userId>")
def update_user(userId: str):  # noqa: N803  (the API's name)
    user = users.update_user(current_caller(app), userId, parse_body(app, UserUpdate))
    count("UserUpdated")
    return json_response(HTTPStatus.OK, user)


handler = api_handler(app)

"""get-user: GET /users/{userId} -> 200 with the user, 403 for another caller's id (admins
excepted), or 404."""

from http import HTTPStatus

from lambdas.shared.logic import users
from lambdas.shared.plumbing.api import api_handler, create_app, json_response
from lambdas.shared.plumbing.caller import current_caller
from lambdas.shared.plumbing.observability import count

app = create_app()


@app.get("/users/<userId>")
def get_user(userId: str):  # noqa: N803  (the API's name: the route argument is looked up by it)
    user = users.get_user(current_caller(app), userId)
    count("UserFetched")
    return json_response(HTTPStatus.OK, user)


handler = api_handler(app)

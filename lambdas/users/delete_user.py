"""delete-user: DELETE /users/{userId} -> 204 (the email is freed), 403 for another
caller's id (admins excepted), or 404."""

from lambdas.shared.logic import users
from lambdas.shared.plumbing.api import api_handler, create_app, no_content
from lambdas.shared.plumbing.caller import current_caller
from lambdas.shared.plumbing.observability import count

app = create_app()


@app.delete("/users/<userId>")
def delete_user(userId: str):  # noqa: N803  (the API's name)
    users.delete_user(current_caller(app), userId)
    count("UserDeleted")
    return no_content()


handler = api_handler(app)

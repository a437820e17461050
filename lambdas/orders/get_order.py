"""get-order: GET /orders/{orderId} -> 200 with the order, its status and history; 404 when
it does not exist or is another customer's (admins see every order)."""

from http import HTTPStatus

from lambdas.shared.logic import order_view
from lambdas.shared.plumbing.api import api_handler, create_app, json_response
from lambdas.shared.plumbing.caller import current_caller
from lambdas.shared.plumbing.observability import count, get_logger

app = create_app()


@app.get("/orders/<orderId>")
def get_order(orderId: str):  # noqa: N803  (the API's name)
    get_logger().set_correlation_id(orderId)
    order = order_view.get_order(current_caller(app), orderId)
    count("OrderFetched")
    return json_response(HTTPStatus.OK, order)


handler = api_handler(app)

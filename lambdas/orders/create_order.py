"""create-order: POST /orders -> 201 with the order (status PLACED).

Header `Idempotency-Key` (optional) makes retries safe: the same key and body give the same
order, hence a single `Order Placed` event (the orders table's stream publishes it). The
customer is the caller: 403 when the body names another `customerId`. 422 when the customer
does not exist or the key was used for another body.
"""

from http import HTTPStatus

from lambdas.shared.logic import order_intake
from lambdas.shared.plumbing.api import api_handler, create_app, error_response, json_response, parse_body
from lambdas.shared.plumbing.caller import current_caller
from lambdas.shared.plumbing.observability import get_logger
from lambdas.shared.schemas.requests import OrderCreate

app = create_app()


@app.post("/orders")
def create_order():
    request = parse_body(app, OrderCreate)
    key = app.current_event.headers.get("Idempotency-Key")  # case-insensitive lookup
    try:
        order = order_intake.place_order(current_caller(app), request, key, app.lambda_context)
    except order_intake.Unprocessable as error:
        return error_response(HTTPStatus.UNPROCESSABLE_ENTITY, error.message)
    # Joins the API's access log line (by request id) to the order, as a log query would.
    get_logger().info("Order placed", extra={
        "orderId": order["orderId"], "apiRequestId": app.current_event.request_context.request_id})
    return json_response(HTTPStatus.CREATED, order)


handler = api_handler(app)

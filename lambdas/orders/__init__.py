"""Order intake functions: the orders API (create, get) and the order-queue consumer."""

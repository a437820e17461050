"""The composition root: builds the core and the services, wires them, starts and stops them."""

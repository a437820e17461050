"""Lambda: invocation (sync and async), the executor and its worker processes."""

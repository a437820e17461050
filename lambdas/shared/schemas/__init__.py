"""Models of the data that crosses a boundary: API request bodies, the `Order Placed` event and
the workflow state, and the order statuses (docs/contracts.md fixes all of them)."""

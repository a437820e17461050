"""Tasks of the order workflow (Step Functions): each receives the whole state as payload."""

"""EventBridge Pipes, run locally: DynamoDB stream sources, Lambda enrichment, event bus targets."""

"""EventBridge: PutEvents, rule matching, target delivery with retries and DLQs, schedules."""

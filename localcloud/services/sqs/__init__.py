"""SQS event source mappings, polled by the local cloud like Lambda's pollers."""

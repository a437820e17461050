"""DynamoDB Streams: reading the stream records moto keeps, through the real Streams API."""

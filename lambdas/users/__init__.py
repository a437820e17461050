"""Users API functions: one module per Lambda function, each serving a single route."""

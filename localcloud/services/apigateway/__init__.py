"""API Gateway REST (v1) APIs, served from their definitions in moto."""

"""Integration types the REST API server runs: MOCK and AWS_PROXY (Lambda proxy)."""

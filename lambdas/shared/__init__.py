"""Code shared by every function: request models, API plumbing, observability, data access.

Deployed as a layer (`python/lambdas/shared/...`) that merges with each function's own
`lambdas/<area>` package at run time.
"""

"""Pulumi components of the order platform: one ComponentResource per concern, the helpers that
create resources for them, and `builders/`, the pure data they are built from."""

"""Pulumi components of the order platform, one concern per module."""

"""Scheduled functions."""

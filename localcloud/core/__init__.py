"""Contracts and shared machinery of the local cloud; imports nothing else from `localcloud`."""

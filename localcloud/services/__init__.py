"""One package per AWS service the local cloud runs itself; each imports only `core`."""

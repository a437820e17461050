"""The local cloud: the project's Pulumi program deployed onto an embedded AWS emulator.

Start it with `python -m localcloud up`; from code, `localcloud.app.cloud.start_local_cloud(...)`.
"""

"""The embedded AWS emulator: moto's server in a subprocess."""

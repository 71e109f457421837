"""Wiring: Flask, settings, database transactions, auth, HTTP blueprints and the CLI."""

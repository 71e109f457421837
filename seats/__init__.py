"""The business of seats: orgs, contracts, the seat pool and its audit trail.

Knows nothing of HTTP or SCIM; every use case takes a SQLAlchemy Session and never commits.
"""

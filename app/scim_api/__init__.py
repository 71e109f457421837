"""The SCIM 2.0 HTTP surface under /scim/v2 (RFC 7644): `routes` (the authenticated
blueprint and its table) and `discovery` (the public one) are what the app factory
registers; `users`, `groups`, `search` and `bulk` are the handlers, each showing its own
transaction; `handlers`, `request`, `auth`, `responses` and `paths` are what they share."""

"""The SCIM 2.0 protocol (RFC 7643/7644) over the seat domain. Never imports Flask."""

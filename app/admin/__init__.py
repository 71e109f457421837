"""The admin API (/admin/v1): JSON for primary owners, admins and viewers of one org."""

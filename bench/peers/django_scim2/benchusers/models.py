"""The user model django-scim2 asks for: Django's own user plus its SCIM columns (id,
externalId, userName), with the user's groups for the `groups` attribute (the mixin leaves
them to the project; the bench makes no groups, but every rendered user still asks)."""
from django.contrib.auth.models import AbstractUser, Group
from django.db.models import QuerySet
from django_scim.models import AbstractSCIMUserMixin


class User(AbstractSCIMUserMixin, AbstractUser):
    @property
    def scim_groups(self) -> "QuerySet[Group]":
        return self.groups

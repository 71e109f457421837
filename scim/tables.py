"""Storage of SCIM resources. `data` is the resource as SCIM sees it (minus id, meta and the
password); the other columns and the value rows are indexes derived from it in one place
(`users.store_user`) so filters never scan JSON for the attributes IdPs query most."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from seats.base import Base, JSONDocument, UTCDateTime
from seats.models import new_id


class UserRow(Base):
    __tablename__ = "scim_users"
    __table_args__ = (
        UniqueConstraint("org_id", "user_name_norm", name="uq_scim_users_org_user_name"),
        Index("ix_scim_users_org_external_id", "org_id", "external_id"),
        Index("ix_scim_users_org_created", "org_id", "created_at", "id"),
        Index("ix_scim_users_org_waiting", "org_id", "waiting_seat_type_key", "waiting_since"),
        ForeignKeyConstraint(["org_id", "seat_type_key"], ["seat_types.org_id", "seat_types.key"],
                             name="fk_scim_users_seat_type"),
        ForeignKeyConstraint(["org_id", "waiting_seat_type_key"],
                             ["seat_types.org_id", "seat_types.key"],
                             name="fk_scim_users_waiting_seat_type"),
        CheckConstraint(
            "active OR (seat_type_key IS NULL AND waiting_seat_type_key IS NULL)",
            name="unseated_hold_nothing",
        ),
        # The idle-seat report (active users whose last change and last sign-in are old), and
        # as its prefix every lookup by (org, active): migration 0011 dropped that narrower one.
        Index("ix_scim_users_org_idle", "org_id", "active", "last_modified_at",
              "last_sign_in_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"))
    user_name: Mapped[str] = mapped_column(String(255))
    user_name_norm: Mapped[str] = mapped_column(String(255))
    external_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean)
    data: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_modified_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    """The last SSO sign-in; not part of the SCIM resource, so it moves neither
    `meta.lastModified` nor the ETag."""
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The key of the seat type held (None while inactive) and of the one wanted but full,
    # since when; kept by scim.seat_choice under the pool lock, like the pool's `assigned`.
    # Keys are stable, so a user renders its type without a join.
    seat_type_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    waiting_seat_type_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    values: Mapped[list[UserValueRow]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )


class UserCountRow(Base):
    """How many users an org has, kept by every insert and delete of a user in its own
    transaction (scim.user_counts): an unfiltered list's totalResults reads it, since
    count(*) at a million users scans the org's index (60 ms on SQLite, 47 on PostgreSQL)."""

    __tablename__ = "scim_user_counts"

    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"), primary_key=True)
    users: Mapped[int] = mapped_column(Integer)


class UserValueRow(Base):
    """One element of a multi-valued attribute (emails, phoneNumbers, addresses, ...),
    kept so that `emails[type eq "work" and value co "@x"]` is an indexed EXISTS."""

    __tablename__ = "scim_user_values"
    __table_args__ = (
        Index("ix_scim_user_values_lookup", "org_id", "attribute", "value_norm"),
        Index("ix_scim_user_values_user", "user_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"))
    user_id: Mapped[str] = mapped_column(ForeignKey("scim_users.id", ondelete="CASCADE"))
    attribute: Mapped[str] = mapped_column(String(32))
    value: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    value_norm: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    type: Mapped[str | None] = mapped_column(String(64), nullable=True)
    primary: Mapped[bool] = mapped_column(Boolean, default=False)
    display: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSONDocument)

    user: Mapped[UserRow] = relationship(back_populates="values")


class GroupRow(Base):
    """A SCIM group. Members live in their own table so that one membership change is one
    row written, never a read-modify-write of a list that concurrent PATCHes would race on."""

    __tablename__ = "scim_groups"
    __table_args__ = (
        Index("ix_scim_groups_org_display_name", "org_id", "display_name_norm"),
        Index("ix_scim_groups_org_external_id", "org_id", "external_id"),
        Index("ix_scim_groups_org_created", "org_id", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"))
    display_name: Mapped[str] = mapped_column(String(255))
    display_name_norm: Mapped[str] = mapped_column(String(255))
    external_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_modified_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)


class GroupMemberRow(Base):
    """One direct member (a user or a group) of a group."""

    __tablename__ = "scim_group_members"
    __table_args__ = (Index("ix_scim_group_members_member", "org_id", "member_id"),)

    group_id: Mapped[str] = mapped_column(
        ForeignKey("scim_groups.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"))
    member_type: Mapped[str] = mapped_column(String(8))  # User | Group


class SeatTypeMapping(Base):
    """"Members of this group hold this seat type": the IdP's groups, as provisioned over
    SCIM, choose a user's seat type unless the user asks for one (scim.seat_choice)."""

    __tablename__ = "seat_type_mappings"
    __table_args__ = (UniqueConstraint("org_id", "group_id", name="uq_seat_type_mappings_group"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"))
    group_id: Mapped[str] = mapped_column(ForeignKey("scim_groups.id", ondelete="CASCADE"))
    seat_type_id: Mapped[str] = mapped_column(ForeignKey("seat_types.id"))


USER_SHOWN = (
    UserRow.id, UserRow.data, UserRow.created_at, UserRow.last_modified_at, UserRow.version,
    UserRow.seat_type_key, UserRow.waiting_seat_type_key, UserRow.waiting_since,
)
"""The columns a rendered user reads (scim.resources.render_user): reads select these as
Core rows instead of loading entities, which cost a third of a page of 100 users."""
GROUP_SHOWN = (
    GroupRow.id, GroupRow.data, GroupRow.created_at, GroupRow.last_modified_at, GroupRow.version,
)
"""The columns a rendered group reads (scim.resources.render_group)."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from naas.db import Base, UTCDateTime, utcnow

from .organisations import Organisation

ROLES = ("candidate", "employer", "assessor", "moderator", "admin", "standard_setter")
REGISTRATION_PATTERN = r"^SW\d{1,9}$"  # Social Work England: SW followed by digits


class User(UserMixin, Base):
    """A person who signs in. What they may do comes from their roles, of which they may
    hold several (an assessor is often a moderator too)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-case
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(255))  # None until a password is set
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped on password change and deactivation, so that sessions signed in before it end.
    session_version: Mapped[int] = mapped_column(Integer, default=1)

    organisation: Mapped[Organisation | None] = relationship()
    role_rows: Mapped[list[UserRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", back_populates="user"
    )
    profile: Mapped[CandidateProfile | None] = relationship(
        back_populates="user", uselist=False, foreign_keys="CandidateProfile.user_id"
    )

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(r.role for r in self.role_rows)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"


class UserRole(Base):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(16), primary_key=True)

    user: Mapped[User] = relationship(back_populates="role_rows")


class CandidateProfile(Base):
    """What the service knows of a candidate beyond their sign-in: their registration with
    Social Work England and any approved adjustment to the time limit."""

    __tablename__ = "candidate_profiles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    registration_number: Mapped[str] = mapped_column(String(16), unique=True)
    # Extra time as a percentage of the time limit (25 means 25% more), approved by an admin.
    extra_time_percent: Mapped[int] = mapped_column(Integer, default=0)
    extra_time_reason: Mapped[str | None] = mapped_column(Text)
    extra_time_approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    share_profile_with_employer: Mapped[bool] = mapped_column(Boolean, default=False)

    user: Mapped[User] = relationship(back_populates="profile", foreign_keys=[user_id])


class PasswordToken(Base):
    """A one-time link to set a password: only its hash is stored, it expires, it works once."""

    __tablename__ = "password_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

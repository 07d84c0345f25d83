from datetime import datetime

from sqlalchemy import DateTime, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from meetings.db import Base, updated_at_column


class LoginThrottle(Base):
    """Failed logins per key: an email address (known or not) or a client (source IP), each as a keyed
    hash (`auth.service.address_key`, `client_key`).

    Rows are transient: a row whose window and lock are over is deleted at the next failed login.
    """

    __tablename__ = "login_throttles"
    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    failed_count: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"), default=0)
    first_failed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = updated_at_column()

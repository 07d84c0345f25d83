"""A real server for browser tests (uvicorn in a subprocess) and committed join links to open in it.

The browser talks to another process, which cannot see a test's rolled-back transaction: links are
created with committed sessions and deleted afterwards.
"""

import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import delete
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from meetings.identity.passwords import hash_password, hash_token
from meetings.manager.professionals.models import Professional
from meetings.secretary.participants.models import Participant, ParticipantType, RoomParticipant
from meetings.secretary.rooms.models import Room, RoomStatus

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts" / "joinpage"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # A synthetic camera and microphone; whether the page may use them is the context's permission.
    "--use-fake-device-for-media-stream",
]
# The join window the secretary API applies before `scheduled_at`.
JOIN_WINDOW = timedelta(minutes=15)


def free_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LiveServer:
    """`devserver.server:app` (every API, as `make run` serves it) under uvicorn, with its output kept."""

    def __init__(self, *, database_url: str, env: dict[str, str], log_path: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "ENVIRONMENT": "test",
            # Everything the app logs is kept, at every level, to prove no token is in it.
            "LOG_LEVEL": "DEBUG",
            "POWERTOOLS_LOG_LEVEL": "DEBUG",
            "PYTHONUNBUFFERED": "1",
            **env,
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> "LiveServer":
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "devserver.server:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "debug",
                "--no-access-log",
            ],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=REPO_ROOT,
        )
        deadline = time.monotonic() + 180  # generous: a loaded machine starts slowly
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited: {self.log_path.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("the server did not answer /health within 180 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")


@dataclass
class JoinLink:
    token: str
    password: str
    room_id: str
    participant_id: int
    title: str
    name: str

    def path(self) -> str:
        return f"/join/{self.token}"


@dataclass
class LinkFactory:
    """Creates committed rooms, participants and links; `cleanup()` deletes them."""

    session_maker: object
    room_ids: list[str] = field(default_factory=list)
    participant_ids: list[int] = field(default_factory=list)
    professional_ids: list[int] = field(default_factory=list)

    def room(
        self,
        *,
        title: str = "Consulta de retorno",
        status: RoomStatus = RoomStatus.ACTIVE,
        scheduled_at: datetime | None = None,
        max_participants: int = 10,
        description: str | None = "Acompanhamento do tratamento.",
        waiting_room: bool | None = None,
    ) -> Room:
        with self.session_maker() as db:
            room_id = str(uuid.uuid4())
            room = Room(
                id=room_id,
                livekit_room_id=f"meeting-{room_id}",
                title=title,
                description=description,
                scheduled_at=scheduled_at or datetime.now(UTC) + timedelta(minutes=5),
                status=status,
                max_participants=max_participants,
                waiting_room=waiting_room,
                started_at=datetime.now(UTC) if status in (RoomStatus.ACTIVE, RoomStatus.COMPLETED) else None,
                ended_at=datetime.now(UTC) if status == RoomStatus.COMPLETED else None,
            )
            db.add(room)
            db.commit()
            self.room_ids.append(room_id)
            return room

    def link(
        self,
        room: Room,
        *,
        name: str = "Maria Silva",
        participant_type: ParticipantType = ParticipantType.CLIENT,
        is_organizer: bool = False,
        expires_at: datetime | None = None,
        failed_attempts: int = 0,
        locked_until: datetime | None = None,
        joined_at: datetime | None = None,
    ) -> JoinLink:
        password = f"{secrets.randbelow(10**8):08d}"
        token = str(uuid.uuid4())
        with self.session_maker() as db:
            professional_id = None
            if participant_type == ParticipantType.PROFESSIONAL:
                professional = Professional(name=name, phone_number=_phone())
                db.add(professional)
                db.flush()
                professional_id = professional.id
                self.professional_ids.append(professional_id)
            participant = Participant(
                name=name, type=participant_type, phone_number=_phone(), professional_id=professional_id
            )
            db.add(participant)
            db.flush()
            db.add(
                RoomParticipant(
                    room_id=room.id,
                    participant_id=participant.id,
                    magic_link_token_hash=hash_token(token),
                    password_hash=hash_password(password, rounds=10),
                    magic_link_expires_at=expires_at or datetime.now(UTC) + timedelta(hours=24),
                    failed_attempts=failed_attempts,
                    locked_until=locked_until,
                    joined_at=joined_at,
                    is_organizer=is_organizer,
                )
            )
            db.commit()
            self.participant_ids.append(participant.id)
            return JoinLink(token, password, room.id, participant.id, room.title, name)

    def cleanup(self) -> None:
        # A request the browser sent last may still hold its row locks: retry a deadlock.
        for attempt in range(5):
            try:
                with self.session_maker() as db:
                    db.execute(delete(Room).where(Room.id.in_(self.room_ids)))  # cascades links and events
                    db.execute(delete(Participant).where(Participant.id.in_(self.participant_ids)))
                    db.execute(delete(Professional).where(Professional.id.in_(self.professional_ids)))
                    db.commit()
                return
            except OperationalError:
                if attempt == 4:
                    raise
                time.sleep(0.5)


def _phone() -> str:
    return f"+55219{secrets.randbelow(10**8):08d}"


def session_maker(engine):
    return lambda: Session(bind=engine, expire_on_commit=False)


def screenshot(page, name: str, *, full_page: bool = True) -> Path:
    """Saves the page as test-artifacts/joinpage/<name>.png (the whole page, or what the viewport shows)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    assert_readable(page)
    return path


CONTRAST_SCRIPT = """(selectors) => {
  const parse = (value) => (value.match(/[\\d.]+/g) || []).map(Number);
  const luminance = ([r, g, b]) => {
    const channel = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  };
  const background = (element) => {
    for (let node = element; node; node = node.parentElement) {
      const rgba = parse(getComputedStyle(node).backgroundColor);
      if (rgba.length === 3 || (rgba.length === 4 && rgba[3] === 1)) return rgba.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const results = {};
  for (const selector of selectors) {
    for (const element of document.querySelectorAll(selector)) {
      if (!element.checkVisibility() || !element.textContent.trim()) continue;
      const [a, b] = [luminance(parse(getComputedStyle(element).color)), luminance(background(element))];
      const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      results[`${selector}: ${element.textContent.trim().slice(0, 40)}`] = Math.round(ratio * 100) / 100;
    }
  }
  return results;
}"""

READABLE_TEXT = ["h1", "h2", "p", "dt", "dd", "label", "button", "li", "time", ".tile-name"]


def assert_readable(page, selectors=READABLE_TEXT, minimum: float = 4.5) -> None:
    """Every visible text element reaches the WCAG AA contrast ratio against its background."""
    ratios = page.evaluate(CONTRAST_SCRIPT, selectors)
    assert ratios, "no visible text found"
    too_faint = {text: ratio for text, ratio in ratios.items() if ratio < minimum}
    assert not too_faint, too_faint

"""Objects that carry a password or a token never show it in their repr (logs, tracebacks, debuggers)."""

from meetings.livekit import LiveKitAdapter
from meetings.manager.auth.schemas import TokenOut
from meetings.manager.auth.service import LoginResult
from meetings.secretary.joins.schemas import JoinGrant
from meetings.secretary.participants.room_service import IssuedLink

TOKEN = "eyJhbGciOiJIUzI1NiJ9.secret-claims.signature"
PASSWORD = "48213907"
LINK = "https://meet.example.com/join/0f3c2a9d-token"


def test_an_issued_link_hides_its_link_and_password():
    rendered = repr(IssuedLink(room_participant=None, magic_link_url=LINK, password=PASSWORD))
    assert PASSWORD not in rendered and "0f3c2a9d" not in rendered


def test_a_login_result_hides_its_token():
    assert TOKEN not in repr(LoginResult(access_token=TOKEN, expires_in=900, user=None))


def test_answers_with_tokens_hide_them():
    grant = JoinGrant(
        livekit_url="wss://meet.example.com",
        access_token=TOKEN,
        identity="p-1",
        room_name="r",
        participant_name="Ana",
        is_organizer=False,
        expires_in=600,
    )
    assert TOKEN not in repr(grant) and TOKEN not in str(grant)
    assert grant.model_dump()["access_token"] == TOKEN  # the answer itself still carries it
    user = {
        "id": 1,
        "email": "a@example.com",
        "phone_number": "+5511987654321",
        "role": "MANAGER",
        "entity_id": None,
        "active": True,
        "created_at": "2026-11-26T04:00:00Z",
        "updated_at": "2026-11-26T04:00:00Z",
    }
    assert TOKEN not in repr(TokenOut(access_token=TOKEN, expires_in=900, user=user))


def test_the_livekit_adapter_hides_its_secret():
    adapter = LiveKitAdapter(
        url="wss://lk.example.com", api_key="APIkey", api_secret="very-secret-value-123-for-the-adapter-test"
    )
    assert "very-secret-value-123" not in repr(adapter) + str(vars(adapter))
    token = adapter.mint_access_token(room_name="r", identity="p-1", name="Ana", metadata={}, attributes={})
    assert adapter.verify_access_token(token).identity == "p-1"  # the secret still signs and verifies

"""The authenticated backoffice caller, as a FastAPI dependency.

A coroutine although its query blocks, like the session dependency (meetings.api.database): a Lambda
container serves one request at a time, and a sync dependency costs a thread hop on every backoffice
request (about 0.4 ms on the 2-core development machine, measured by bench_transcript).
"""

from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from psycopg import sql

from meetings.api.database import DbSession
from meetings.api.openapi import declare_errors
from meetings.db_scope import adopt_db_scope, first_statement, principal_db_scope
from meetings.errors import Unauthorized
from meetings.identity.principal import Principal
from meetings.identity.roles import UserRole
from meetings.identity.tokens import decode_access_claims
from meetings.settings import get_settings

bearer = HTTPBearer(auto_error=False, description="Access token from POST /v1/auth/login")

# Read through the table, not the users domain's model: identity sits below every domain. The function
# (migration 20261201_request_principal) sets the 'auth' scope, reads the active user whose token version
# matches (a token from before a password, email or role change is no longer the user's session) and
# scopes the transaction to the caller's tenant: one round trip instead of three.
REQUEST_PRINCIPAL = sql.SQL("SELECT user_id, user_role, user_entity_id FROM request_principal({}, {})")


async def get_current_principal(
    db: DbSession,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """Resolves the bearer token to an active user whose sessions it still belongs to (token version);
    role and entity are read fresh from the database."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("Authentication is required.", code="not_authenticated")
    user_id, token_version = decode_access_claims(credentials.credentials, get_settings())
    user = first_statement(db.connection(), REQUEST_PRINCIPAL.format(user_id, token_version))
    if user is None:
        raise Unauthorized("The access token is invalid.", code="invalid_token")
    found_id, role, entity_id = user
    principal = Principal(user_id=found_id, role=UserRole(role), entity_id=entity_id)
    # Row-level security: from here on, the caller's tenant only (already so in this transaction).
    scope, entity_id = principal_db_scope(principal)
    adopt_db_scope(db, scope, entity_id=entity_id)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_current_principal)]


declare_errors(
    get_current_principal,
    {
        401: "`not_authenticated`, `invalid_token` or `token_expired`",
        403: "The caller's role or entity may not do this (`forbidden_role` and the like).",
    },
)

// What the lobby shows, decided from the API's answers alone (no DOM here).

export const LOBBY = {
  READY: 'ready',
  TOO_EARLY: 'too_early',
  EXPIRED: 'expired',
  NOT_FOUND: 'not_found',
  CANCELED: 'canceled',
  ENDED: 'ended',
  FULL: 'full',
  WAITING: 'waiting',
  DENIED: 'denied',
  LOCKED: 'locked',
  UNREACHABLE: 'unreachable',
  ERROR: 'error',
};

/** The lobby state for a GET /v1/join/{token} answer at time `now` (ms). */
export function lobbyStateFromInfo(info, now) {
  const status = info.room && info.room.status;
  if (status === 'CANCELED') return { kind: LOBBY.CANCELED };
  if (status === 'COMPLETED') return { kind: LOBBY.ENDED };
  if (info.link_expires_at && Date.parse(info.link_expires_at) <= now) return { kind: LOBBY.EXPIRED };
  if (info.locked_until && Date.parse(info.locked_until) > now) {
    return { kind: LOBBY.LOCKED, until: info.locked_until };
  }
  const opensAt = info.room && info.room.join_opens_at;
  if (opensAt && Date.parse(opensAt) > now) return { kind: LOBBY.TOO_EARLY, opensAt };
  return { kind: LOBBY.READY, attemptsLeft: info.attempts_left ?? null };
}

/** The lobby state for an error answer of GET or POST /v1/join/{token}. */
export function lobbyStateFromError(error) {
  const details = (error && error.details) || {};
  switch (error && error.code) {
    case 'link_not_found':
      return { kind: LOBBY.NOT_FOUND };
    case 'link_expired':
      return { kind: LOBBY.EXPIRED };
    case 'room_canceled':
      return { kind: LOBBY.CANCELED };
    case 'room_completed':
      return { kind: LOBBY.ENDED };
    case 'too_early':
      return { kind: LOBBY.TOO_EARLY, opensAt: details.opens_at };
    case 'room_full':
      return { kind: LOBBY.FULL };
    case 'participant_denied':
      return { kind: LOBBY.DENIED };
    case 'link_locked':
      return { kind: LOBBY.LOCKED, until: details.locked_until };
    case 'invalid_password':
      return { kind: LOBBY.READY, wrongPassword: true, attemptsLeft: details.attempts_left ?? null };
    case 'validation_error':
    case 'validation_failed':
      return { kind: LOBBY.READY, invalidFormat: true };
    case 'livekit_unavailable':
    case 'livekit_error':
      return { kind: LOBBY.UNREACHABLE };
    default:
      if (error && (error.status === 502 || error.status === 503 || error.status === 504)) {
        return { kind: LOBBY.UNREACHABLE };
      }
      if (error && error.status === 422) return { kind: LOBBY.READY, invalidFormat: true };
      return { kind: LOBBY.ERROR };
  }
}

export const PASSWORD_PATTERN = /^[0-9]{8}$/;

/** The password as typed, without the spaces or dashes people add when copying it. */
export function normalizePassword(typed) {
  return String(typed || '').replace(/[\s-]/g, '');
}

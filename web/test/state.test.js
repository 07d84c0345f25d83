import assert from 'node:assert/strict';
import { test } from 'node:test';

import { LOBBY, lobbyStateFromError, lobbyStateFromInfo, normalizePassword, PASSWORD_PATTERN } from '../src/state.js';

const now = Date.parse('2026-11-26T12:00:00Z');
const info = (room = {}, link = {}) => ({
  room: { status: 'SCHEDULED', join_opens_at: '2026-11-26T11:45:00Z', ...room },
  participant: { name: 'Ana', type: 'CLIENT', is_organizer: false },
  link_expires_at: '2026-11-27T00:00:00Z',
  attempts_left: 5,
  locked_until: null,
  ...link,
});

test('the lobby state follows the room and the link', () => {
  assert.equal(lobbyStateFromInfo(info(), now).kind, LOBBY.READY);
  assert.equal(lobbyStateFromInfo(info({ status: 'ACTIVE' }), now).kind, LOBBY.READY);
  assert.equal(lobbyStateFromInfo(info({ status: 'CANCELED' }), now).kind, LOBBY.CANCELED);
  assert.equal(lobbyStateFromInfo(info({ status: 'COMPLETED' }), now).kind, LOBBY.ENDED);
  assert.deepEqual(lobbyStateFromInfo(info({ join_opens_at: '2026-11-26T12:10:00Z' }), now), {
    kind: LOBBY.TOO_EARLY,
    opensAt: '2026-11-26T12:10:00Z',
  });
  assert.equal(lobbyStateFromInfo(info({}, { link_expires_at: '2026-11-26T11:00:00Z' }), now).kind, LOBBY.EXPIRED);
  assert.deepEqual(lobbyStateFromInfo(info({}, { locked_until: '2026-11-26T12:05:00Z' }), now), {
    kind: LOBBY.LOCKED,
    until: '2026-11-26T12:05:00Z',
  });
  assert.equal(lobbyStateFromInfo(info({}, { locked_until: '2026-11-26T11:59:00Z' }), now).kind, LOBBY.READY);
});

test('every error code of the join API has its state', () => {
  const state = (status, code, details) => lobbyStateFromError({ status, code, details });
  assert.equal(state(404, 'link_not_found').kind, LOBBY.NOT_FOUND);
  assert.equal(state(410, 'link_expired').kind, LOBBY.EXPIRED);
  assert.equal(state(409, 'room_canceled').kind, LOBBY.CANCELED);
  assert.equal(state(409, 'room_completed').kind, LOBBY.ENDED);
  assert.equal(state(409, 'room_full').kind, LOBBY.FULL);
  assert.deepEqual(state(409, 'too_early', { opens_at: 'T' }), { kind: LOBBY.TOO_EARLY, opensAt: 'T' });
  assert.deepEqual(state(423, 'link_locked', { locked_until: 'U' }), { kind: LOBBY.LOCKED, until: 'U' });
  assert.deepEqual(state(401, 'invalid_password', { attempts_left: 2 }), {
    kind: LOBBY.READY,
    wrongPassword: true,
    attemptsLeft: 2,
  });
  assert.equal(state(422, 'validation_error').invalidFormat, true);
  assert.equal(state(502, 'livekit_unavailable').kind, LOBBY.UNREACHABLE);
  assert.equal(state(503, 'database_unavailable').kind, LOBBY.UNREACHABLE);
  assert.equal(state(0, 'network_error').kind, LOBBY.ERROR);
  assert.equal(state(500, 'internal_error').kind, LOBBY.ERROR);
});

test('passwords are 8 digits, spaces and dashes from copying ignored', () => {
  assert.equal(normalizePassword(' 1234-5678 '), '12345678');
  assert.ok(PASSWORD_PATTERN.test('00000000'));
  assert.ok(!PASSWORD_PATTERN.test('1234567'));
  assert.ok(!PASSWORD_PATTERN.test('1234567a'));
});

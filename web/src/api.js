// The public join API: GET/POST /v1/join/{token} and POST /v1/join/{token}/end.

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message || code);
    this.status = status;
    this.code = code;
    this.details = details || {};
  }
}

const FETCH_OPTIONS = { credentials: 'omit', cache: 'no-store', referrerPolicy: 'no-referrer' };

async function call(method, path, { body, bearer } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  let response;
  try {
    response = await fetch(path, {
      ...FETCH_OPTIONS,
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (cause) {
    throw new ApiError(0, 'network_error', String(cause));
  }
  const payload = await response.json().catch(() => null);
  if (response.ok) return payload;
  const error = (payload && payload.error) || {};
  throw new ApiError(response.status, error.code || `http_${response.status}`, error.message, error.details);
}

const joinPath = (token) => `/v1/join/${encodeURIComponent(token)}`;

/** Room, participant and link state for the lobby. */
export const getJoin = (token, language) =>
  call('GET', `${joinPath(token)}?language=${encodeURIComponent(language || 'en')}`);

/** Checks the password; answers the LiveKit URL and access token, or {status: 'waiting'} (202). */
export const postJoin = (token, password, consent, language) =>
  call('POST', joinPath(token), { body: { password, consent, language } });

/** Withdraws the participant's consent to the AI assistant (their own meeting access token). */
export const withdrawAssistant = (token, accessToken) =>
  call('POST', `${joinPath(token)}/consent/assistant/withdraw`, { bearer: accessToken });

/** Who is knocking (organizer only). */
export const getWaiting = (token, accessToken) => call('GET', `${joinPath(token)}/waiting`, { bearer: accessToken });

/** Admits or denies one waiting participant (organizer only); `decision` is 'admit' or 'deny'. */
export const decideWaiting = (token, accessToken, participantId, decision) =>
  call('POST', `${joinPath(token)}/participants/${encodeURIComponent(participantId)}/${decision}`, {
    bearer: accessToken,
  });

/** Ends the meeting for everyone (organizer only). */
export const endMeeting = (token, accessToken) =>
  call('POST', `${joinPath(token)}/end`, { bearer: accessToken });

/** The magic-link token from a /join/{token} path, or null. */
export function tokenFromPath(pathname) {
  const match = /^\/join\/([^/?#]+)\/?$/.exec(pathname);
  return match ? decodeURIComponent(match[1]) : null;
}

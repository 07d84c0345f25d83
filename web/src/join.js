// The join page: lobby (room, time, name, password, every refusal state), then the meeting.

import { getJoin, postJoin, tokenFromPath } from './api.js';
import { formatClockTime, formatCountdown, formatMeetingTime } from './format.js';
import { pickLanguage, pickLocale, translator } from './i18n.js';
import { Meeting } from './meeting.js';
import { LOBBY, PASSWORD_PATTERN, lobbyStateFromError, lobbyStateFromInfo, normalizePassword } from './state.js';
import { announce, applyTranslations, byId, focus, setPageState, show } from './view.js';

const preferences = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language];
const language = pickLanguage(preferences);
const locale = pickLocale(preferences, language);
const t = translator(language);
const token = tokenFromPath(window.location.pathname);

let info = null;
let ticker = null;
let busy = false;

const NOTICES = {
  [LOBBY.EXPIRED]: ['expired_title', 'expired_text'],
  [LOBBY.NOT_FOUND]: ['not_found_title', 'not_found_text'],
  [LOBBY.CANCELED]: ['canceled_title', 'canceled_text'],
  [LOBBY.ENDED]: ['ended_title', 'ended_text'],
  [LOBBY.FULL]: ['full_title', 'full_text'],
  [LOBBY.WAITING]: ['waiting_title', 'waiting_text'],
  [LOBBY.DENIED]: ['denied_title', 'denied_text'],
  [LOBBY.ERROR]: ['error_title', 'error_text'],
  [LOBBY.UNREACHABLE]: ['unreachable_title', 'unreachable_text_lobby'],
  left: ['left_title', 'left_text'],
  removed: ['removed_title', 'removed_text'],
};

function boot() {
  document.documentElement.lang = language === 'pt' ? 'pt-BR' : 'en';
  document.title = t('page_title');
  applyTranslations(t);
  byId('password-form').addEventListener('submit', submitPassword);
  byId('password').addEventListener('input', () => clearFieldError());
  byId('notice-action').addEventListener('click', () => byId('notice-action').onAction());
  if (!token) {
    renderLobby({ kind: LOBBY.NOT_FOUND });
    return;
  }
  loadLobby();
}

async function loadLobby(afterwards) {
  try {
    info = await getJoin(token, language);
  } catch (error) {
    renderLobby(lobbyStateFromError(error));
    return;
  }
  renderInfo();
  renderLobby({ ...lobbyStateFromInfo(info, Date.now()), ...afterwards });
}

function renderInfo() {
  const { room, participant } = info;
  byId('room-title').textContent = room.title;
  document.title = `${room.title} · ${t('page_title')}`;
  const time = byId('room-time');
  time.textContent = formatMeetingTime(room.scheduled_at, locale);
  time.dateTime = room.scheduled_at;
  byId('participant-name').textContent = participant.name;
  show(byId('room-details'));
  const description = byId('room-description');
  description.textContent = room.description || '';
  show(description, Boolean(room.description));
  const text = info.consent_text;
  if (text) {
    byId('consent-recording-label').textContent = text.recording_text;
    byId('consent-assistant-label').textContent = text.assistant_text;
  }
}

/** The two choices as the person left them (unchecked means no). */
function consentChoices() {
  return { recording: byId('consent-recording').checked, assistant: byId('consent-assistant').checked };
}

let waitTimer = null;

function stopTicker() {
  if (ticker) window.clearInterval(ticker);
  ticker = null;
  if (waitTimer) window.clearTimeout(waitTimer);
  waitTimer = null;
}

/** Shows one lobby state: the password form, or a notice with its words, countdown and action. */
function renderLobby(state) {
  stopTicker();
  show(byId('lobby'));
  if (!info) byId('room-title').textContent = t('page_title');
  setPageState(state.kind);
  const form = byId('password-form');
  const notice = byId('notice');
  if (state.kind === LOBBY.READY) {
    show(notice, false);
    show(form);
    renderPasswordState(state);
    return;
  }
  show(form, false);
  show(notice);
  const title = byId('notice-title');
  const text = byId('notice-text');
  const action = byId('notice-action');
  show(byId('countdown'), false);
  show(action, false);
  if (state.kind === LOBBY.TOO_EARLY) {
    title.textContent = t('too_early_title');
    text.textContent = state.opensAt ? t('too_early_opens_at', { time: formatClockTime(state.opensAt, locale) }) : '';
    startCountdown(state.opensAt, 'too_early_text', () => loadLobby({ opened: true }));
  } else if (state.kind === LOBBY.LOCKED) {
    title.textContent = t('locked_title');
    text.textContent = t('locked_text', { time: formatClockTime(state.until, locale) });
    startCountdown(state.until, 'locked_wait', () => loadLobby());
  } else {
    const [titleKey, textKey] = NOTICES[state.kind] || NOTICES[LOBBY.ERROR];
    title.textContent = t(titleKey);
    text.textContent = t(textKey);
    if (state.kind === LOBBY.FULL || state.kind === LOBBY.ERROR) offerAction('try_again', () => loadLobby());
    if (state.kind === LOBBY.UNREACHABLE) offerAction('try_again', () => (state.retry ? state.retry() : loadLobby()));
    if (state.kind === 'left') offerAction('rejoin', () => loadLobby());
  }
  announce(`${title.textContent}. ${text.textContent}`);
  focus(title);
}

function offerAction(key, onAction) {
  const action = byId('notice-action');
  action.textContent = t(key);
  action.onAction = onAction;
  show(action);
}

function startCountdown(untilIso, labelKey, whenDone) {
  const until = Date.parse(untilIso);
  if (Number.isNaN(until)) return;
  byId('countdown-label').textContent = t(labelKey);
  const value = byId('countdown-value');
  value.dateTime = untilIso;
  show(byId('countdown'));
  const tick = () => {
    const left = until - Date.now();
    value.textContent = formatCountdown(left);
    if (left <= 0) {
      stopTicker();
      whenDone();
    }
  };
  tick();
  ticker = window.setInterval(tick, 1000);
}

function renderPasswordState(state) {
  const input = byId('password');
  input.disabled = false;
  if (state.wrongPassword) {
    const left = state.attemptsLeft;
    const message =
      left === null || left === undefined
        ? t('wrong_password_none')
        : left === 1
          ? t('wrong_password_one')
          : t('wrong_password', { count: left });
    showFieldError(message);
    announce(message); // focus stays in the field, so its description would not be read again
    input.select();
  } else if (state.invalidFormat) {
    showFieldError(t('password_invalid_format'));
    announce(t('password_invalid_format'));
  } else {
    clearFieldError();
  }
  if (state.opened) announce(t('opened_now'));
  else if (state.message) announce(state.message);
  if (state.message) showFieldError(state.message);
  focus(input);
}

function showFieldError(message) {
  const error = byId('password-error');
  error.textContent = message;
  show(error);
  byId('password').setAttribute('aria-invalid', 'true');
}

function clearFieldError() {
  show(byId('password-error'), false);
  byId('password').removeAttribute('aria-invalid');
}

async function submitPassword(event) {
  event.preventDefault();
  if (busy) return;
  const input = byId('password');
  const password = normalizePassword(input.value);
  if (!PASSWORD_PATTERN.test(password)) {
    showFieldError(t('password_invalid_format'));
    announce(t('password_invalid_format'));
    focus(input);
    return;
  }
  setBusy(true);
  let session;
  const consent = consentChoices();
  try {
    session = await postJoin(token, password, consent, language);
  } catch (error) {
    setBusy(false);
    const state = lobbyStateFromError(error);
    if (state.kind === LOBBY.UNREACHABLE) state.retry = () => retryJoin(password);
    renderLobby(state);
    return;
  }
  setBusy(false);
  input.value = '';
  if (session && session.status === 'waiting') {
    renderLobby({ kind: LOBBY.WAITING });
    waitForDecision(password, consent, session.poll_after_seconds);
    return;
  }
  enterMeeting(session, consent);
}

/** In the waiting room: the same join again every couple of seconds until the organizer decides. */
function waitForDecision(password, consent, afterSeconds) {
  waitTimer = window.setTimeout(async () => {
    waitTimer = null;
    let answer;
    try {
      answer = await postJoin(token, password, consent, language);
    } catch (error) {
      const state = lobbyStateFromError(error);
      if (state.kind === LOBBY.UNREACHABLE) {
        waitForDecision(password, consent, afterSeconds); // a blip: keep the place, keep asking
        return;
      }
      renderLobby(state);
      return;
    }
    if (answer && answer.status === 'waiting') waitForDecision(password, consent, answer.poll_after_seconds);
    else enterMeeting(answer, consent);
  }, Math.max(1, afterSeconds || 2) * 1000);
}

/** After the meeting server was unreachable: the same password again, once the person asks. */
async function retryJoin(password) {
  show(byId('notice'), false);
  show(byId('password-form'));
  byId('password').value = password;
  byId('password-form').requestSubmit();
}

function setBusy(value) {
  busy = value;
  const button = byId('join-button');
  button.disabled = value;
  button.textContent = value ? t('joining') : t('join_button');
  byId('password-form').setAttribute('aria-busy', String(value));
  if (value) announce(t('joining'));
}

function enterMeeting(session, consent) {
  const meeting = new Meeting({
    t,
    token,
    session,
    consent,
    info,
    onExit: (reason) => {
      if (reason === 'ended') renderLobby({ kind: LOBBY.ENDED });
      else if (reason === 'session_expired') loadLobby({ message: t('session_expired') });
      else renderLobby({ kind: reason });
    },
  });
  meeting.start();
}

boot();

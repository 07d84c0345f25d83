// Dates in the participant's own time zone, and countdowns.

/** "Thursday, 26 November 2026, 14:30 GMT-3" in the participant's locale and time zone. */
export function formatMeetingTime(iso, locale, timeZone) {
  const options = {
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
  };
  if (timeZone) options.timeZone = timeZone;
  return new Intl.DateTimeFormat(locale, options).format(new Date(iso));
}

/** "14:30" (or "26 Nov, 14:30" when not today) for an instant such as a lock's end. */
export function formatClockTime(iso, locale, now = new Date(), timeZone) {
  const when = new Date(iso);
  const options = { hour: '2-digit', minute: '2-digit' };
  if (timeZone) options.timeZone = timeZone;
  const sameDay = new Intl.DateTimeFormat('en-CA', { timeZone, dateStyle: 'short' });
  if (sameDay.format(when) !== sameDay.format(now)) {
    options.day = 'numeric';
    options.month = 'short';
  }
  return new Intl.DateTimeFormat(locale, options).format(when);
}

/** Milliseconds left as "2 d 03:04:05", "03:04:05" or "04:05"; never negative. */
export function formatCountdown(milliseconds) {
  const total = Math.max(0, Math.ceil(milliseconds / 1000));
  const days = Math.floor(total / 86400);
  const hours = Math.floor((total % 86400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const two = (n) => String(n).padStart(2, '0');
  const clock = hours || days ? `${two(hours)}:${two(minutes)}:${two(seconds)}` : `${two(minutes)}:${two(seconds)}`;
  return days ? `${days} d ${clock}` : clock;
}

/** Up to two initials for a tile without video. */
export function initials(name) {
  const words = String(name || '?').trim().split(/\s+/).filter(Boolean);
  const letters = words.length > 1 ? [words[0], words[words.length - 1]] : words;
  return letters.map((word) => Array.from(word)[0].toUpperCase()).join('') || '?';
}

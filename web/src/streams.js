// Text streams of the meeting protocol (meetings/meeting_protocol.py), parsed without the DOM.

export const CHAT_TOPIC = 'lk.chat';
export const TRANSCRIPTION_TOPIC = 'lk.transcription';
export const SUGGESTIONS_TOPIC = 'meetings.suggestions';

const TRANSCRIPTION_FINAL = 'lk.transcription_final';
const TRANSCRIBED_TRACK = 'lk.transcribed_track_id';
const SEGMENT_ID = 'lk.segment_id';

/** A suggestion {text, sources: [{document_name, page}]} from its JSON, or null when malformed. */
export function parseSuggestion(raw) {
  let value;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  if (!value || typeof value.text !== 'string' || !value.text.trim()) return null;
  const sources = Array.isArray(value.sources)
    ? value.sources
        .filter((source) => source && typeof source.document_name === 'string' && source.document_name)
        .map((source) => ({
          document_name: source.document_name,
          page: Number.isInteger(source.page) ? source.page : null,
        }))
    : [];
  return { text: value.text.trim(), sources };
}

/** The key that groups a transcription stream's updates into one caption line. */
export function captionKey(info) {
  const attributes = (info && info.attributes) || {};
  return attributes[SEGMENT_ID] || (info && info.id) || '';
}

/** Whether a transcription stream carries a final (not interim) text. */
export function isFinalCaption(info) {
  const attributes = (info && info.attributes) || {};
  return attributes[TRANSCRIPTION_FINAL] === 'true';
}

/** The identity of the participant who spoke, when the agent transcribes someone else's track. */
export function transcribedTrack(info) {
  const attributes = (info && info.attributes) || {};
  return attributes[TRANSCRIBED_TRACK] || null;
}

/**
 * Caption lines in order: interim text is replaced by later updates of the same segment, and only
 * the last `limit` lines are kept.
 */
export class CaptionLog {
  constructor(limit = 50) {
    this.limit = limit;
    this.lines = [];
  }

  /** Sets the text of a segment; returns the line ({key, speaker, text, final}). */
  update(key, speaker, text, final) {
    let line = this.lines.find((candidate) => candidate.key === key);
    if (!line) {
      line = { key, speaker, text: '', final: false };
      this.lines.push(line);
      if (this.lines.length > this.limit) this.lines.shift();
    }
    line.text = text;
    line.final = line.final || final;
    return line;
  }
}

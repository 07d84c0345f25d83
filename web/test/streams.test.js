import assert from 'node:assert/strict';
import { test } from 'node:test';

import { tokenFromPath } from '../src/api.js';
import { formatCountdown, initials } from '../src/format.js';
import { CaptionLog, captionKey, isFinalCaption, parseSuggestion } from '../src/streams.js';

test('suggestions keep their text and well-formed sources', () => {
  const raw = JSON.stringify({
    text: ' Ask about the allergy. ',
    sources: [{ document_name: 'Protocol.pdf', page: 3 }, { document_name: 'Notes.docx' }, { page: 2 }, null],
  });
  assert.deepEqual(parseSuggestion(raw), {
    text: 'Ask about the allergy.',
    sources: [
      { document_name: 'Protocol.pdf', page: 3 },
      { document_name: 'Notes.docx', page: null },
    ],
  });
  assert.equal(parseSuggestion('not json'), null);
  assert.equal(parseSuggestion('{"text": "  "}'), null);
  assert.deepEqual(parseSuggestion('{"text": "Hi"}'), { text: 'Hi', sources: [] });
});

test('captions: a segment is one line, updated until final', () => {
  const info = { id: 'stream-1', attributes: { 'lk.segment_id': 'seg-1', 'lk.transcription_final': 'false' } };
  assert.equal(captionKey(info), 'seg-1');
  assert.equal(captionKey({ id: 'stream-2' }), 'stream-2');
  assert.equal(isFinalCaption(info), false);
  assert.equal(isFinalCaption({ attributes: { 'lk.transcription_final': 'true' } }), true);

  const log = new CaptionLog(2);
  log.update('a', 'Ana', 'Hel', false);
  log.update('a', 'Ana', 'Hello', true);
  log.update('b', 'Bia', 'Hi', true);
  log.update('c', 'Ana', 'Bye', false);
  assert.deepEqual(
    log.lines.map((line) => [line.key, line.text, line.final]),
    [
      ['b', 'Hi', true],
      ['c', 'Bye', false],
    ],
  );
});

test('countdowns, initials and the token in the address', () => {
  assert.equal(formatCountdown(65_000), '01:05');
  assert.equal(formatCountdown(3_600_000 + 2_000), '01:00:02');
  assert.equal(formatCountdown(90_000_000), '1 d 01:00:00');
  assert.equal(formatCountdown(-5), '00:00');
  assert.equal(initials('Maria da Silva'), 'MS');
  assert.equal(initials('Ícaro'), 'Í');
  assert.equal(initials(''), '?');
  assert.equal(tokenFromPath('/join/3f1c2d9e-0000-4000-8000-000000000000'), '3f1c2d9e-0000-4000-8000-000000000000');
  assert.equal(tokenFromPath('/join/'), null);
  assert.equal(tokenFromPath('/other/x'), null);
});

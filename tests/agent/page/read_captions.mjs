// Runs the join page's own caption code (web/src/meeting.js, Meeting.readCaption) under Node over the
// text streams given on stdin, in a room described there; prints the caption log the person sees.
//
// stdin: {"local": {identity, name, tracks: [sid]}, "remote": [{identity, name, isAgent, tracks: [sid]}],
//         "streams": [{topic, sender, attributes, text}]}
// stdout: {"lines": [{speaker, text, final}], "shown": ["Speaker: text", ...]}

import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const [, , webSrc] = process.argv;

class Node_ {
  constructor(tag) {
    this.tagName = tag;
    this.children = [];
    this.textContent = '';
    this.hidden = false;
    this.className = '';
    this.scrollTop = 0;
    this.scrollHeight = 0;
  }
  append(...nodes) {
    for (const node of nodes) this.children.push(typeof node === 'string' ? { textContent: node } : node);
  }
  replaceChildren(...nodes) {
    this.children = [];
    this.append(...nodes);
  }
  get firstElementChild() {
    return this.children[0];
  }
  remove() {}
}
const elements = new Map();
globalThis.document = {
  getElementById: (id) => elements.get(id) || elements.set(id, new Node_('div')).get(id),
  createElement: (tag) => new Node_(tag),
  body: { classList: { add() {}, remove() {} }, dataset: {} },
};
globalThis.window = { setTimeout };

const { Meeting } = await import(pathToFileURL(`${webSrc}/meeting.js`).href);
const { translator } = await import(pathToFileURL(`${webSrc}/i18n.js`).href);
const input = JSON.parse(readFileSync(0, 'utf8'));

const t = translator('en');
const publications = (sids) => new Map(sids.map((sid) => [sid, { trackSid: sid }]));
const meeting = new Meeting({
  t,
  token: 'token',
  session: { identity: input.local.identity, expires_in: 3600 },
  info: {},
  onExit() {},
});
meeting.room = {
  localParticipant: { identity: input.local.identity, trackPublications: publications(input.local.tracks) },
  remoteParticipants: new Map(
    input.remote.map((p) => [
      p.identity,
      { identity: p.identity, name: p.name, isAgent: Boolean(p.isAgent), trackPublications: publications(p.tracks) },
    ]),
  ),
};

let counter = 0;
for (const stream of input.streams) {
  const reader = {
    info: { id: `stream-${++counter}`, topic: stream.topic, attributes: stream.attributes },
    async *[Symbol.asyncIterator]() {
      yield stream.text;
    },
  };
  await meeting.readCaption(reader, { identity: stream.sender });
}
const shown = document
  .getElementById('captions')
  .children.map((item) => item.children.map((child) => child.textContent).join(''));
process.stdout.write(JSON.stringify({ lines: meeting.captions.lines, shown }));

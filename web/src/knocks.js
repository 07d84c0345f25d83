// The organizer's knock list: who waits to join, with admit and deny, polled about every two seconds.

import { decideWaiting, getWaiting } from './api.js';
import { announce, element, show } from './view.js';

const POLL_MS = 2000;

export class KnockList {
  /**
   * @param {object} options
   * @param {(key: string, values?: object) => string} options.t
   * @param {string} options.token the organizer's magic-link token
   * @param {() => string} options.accessToken the organizer's current meeting access token
   * @param {HTMLElement} options.panel shown while someone waits
   * @param {HTMLElement} options.list the <ul> of waiting people
   */
  constructor({ t, token, accessToken, panel, list }) {
    Object.assign(this, { t, token, accessToken, panel, list });
    this.known = new Map();
    this.timer = null;
    this.stopped = false;
  }

  start() {
    this.stopped = false;
    this.poll();
  }

  stop() {
    this.stopped = true;
    if (this.timer) window.clearTimeout(this.timer);
    this.timer = null;
    this.list.replaceChildren();
    show(this.panel, false);
  }

  async poll() {
    this.timer = null;
    try {
      const answer = await getWaiting(this.token, this.accessToken());
      if (!this.stopped) this.render(answer.data);
    } catch {
      // A failed poll changes nothing on screen; the next one tries again.
    }
    if (!this.stopped) this.timer = window.setTimeout(() => this.poll(), POLL_MS);
  }

  render(waiting) {
    const arrived = waiting.filter((person) => !this.known.has(person.participant_id));
    this.known = new Map(waiting.map((person) => [person.participant_id, person]));
    this.list.replaceChildren(...waiting.map((person) => this.item(person)));
    show(this.panel, waiting.length > 0);
    if (arrived.length) announce(arrived.map((person) => this.t('knock_arrived', { name: person.name })).join(' '));
  }

  item(person) {
    const row = element('li', 'knock');
    row.dataset.participantId = String(person.participant_id);
    row.append(element('span', 'knock-name', person.name));
    for (const [decision, key, labelKey] of [
      ['admit', 'knock_admit', 'knock_admit_label'],
      ['deny', 'knock_deny', 'knock_deny_label'],
    ]) {
      const button = element('button', `knock-${decision}`, this.t(key));
      button.type = 'button';
      button.setAttribute('aria-label', this.t(labelKey, { name: person.name }));
      button.addEventListener('click', () => this.decide(person, decision, row));
      row.append(button);
    }
    return row;
  }

  async decide(person, decision, row) {
    for (const button of row.querySelectorAll('button')) button.disabled = true;
    try {
      await decideWaiting(this.token, this.accessToken(), person.participant_id, decision);
    } catch (error) {
      for (const button of row.querySelectorAll('button')) button.disabled = false;
      announce(error.code === 'room_full' ? this.t('full_title') : this.t('knock_failed'));
      return;
    }
    this.known.delete(person.participant_id);
    row.remove();
    show(this.panel, this.list.children.length > 0);
    announce(this.t(decision === 'admit' ? 'knock_admitted' : 'knock_denied', { name: person.name }));
  }
}

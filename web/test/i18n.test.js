import assert from 'node:assert/strict';
import { test } from 'node:test';

import { MESSAGES, pickLanguage, pickLocale, translator } from '../src/i18n.js';

test('Portuguese and English say the same things', () => {
  assert.deepEqual(Object.keys(MESSAGES.pt).sort(), Object.keys(MESSAGES.en).sort());
  for (const language of ['pt', 'en']) {
    for (const [key, text] of Object.entries(MESSAGES[language])) assert.ok(text.trim(), `${language}.${key} is empty`);
  }
});

test('the first Portuguese or English preference wins, English otherwise', () => {
  assert.equal(pickLanguage(['pt-BR', 'en-US']), 'pt');
  assert.equal(pickLanguage(['fr-FR', 'pt-PT', 'en']), 'pt');
  assert.equal(pickLanguage(['de-DE', 'en-GB', 'pt-BR']), 'en');
  assert.equal(pickLanguage(['es-ES']), 'en');
  assert.equal(pickLanguage([]), 'en');
  assert.equal(pickLanguage(undefined), 'en');
});

test('dates use the browser tag of the chosen language', () => {
  assert.equal(pickLocale(['fr-FR', 'pt-PT'], 'pt'), 'pt-PT');
  assert.equal(pickLocale(['es'], 'pt'), 'pt-BR');
  assert.equal(pickLocale(['en-GB'], 'en'), 'en-GB');
});

test('values fill their placeholders', () => {
  const t = translator('pt');
  assert.equal(t('wrong_password', { count: 3 }), 'Senha incorreta. Restam 3 tentativas.');
  assert.equal(translator('en')('source_page', { name: 'Guia.pdf', page: 4 }), 'Guia.pdf, p. 4');
  assert.equal(translator('xx')('join_button'), 'Join the meeting');
});

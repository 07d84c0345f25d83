// Small DOM helpers: translations, screens, focus and announcements.

export const byId = (id) => document.getElementById(id);

export function show(element, visible = true) {
  element.hidden = !visible;
}

/** Fills every [data-i18n] element with its sentence, and [data-i18n-placeholder] placeholders. */
export function applyTranslations(t, root = document) {
  for (const element of root.querySelectorAll('[data-i18n]')) element.textContent = t(element.dataset.i18n);
  for (const element of root.querySelectorAll('[data-i18n-placeholder]')) {
    element.placeholder = t(element.dataset.i18nPlaceholder);
  }
  for (const element of root.querySelectorAll('[data-i18n-label]')) {
    element.setAttribute('aria-label', t(element.dataset.i18nLabel));
  }
}

/** Says a state change to screen readers through the page's polite live region. */
export function announce(text) {
  const region = byId('announcer');
  region.textContent = '';
  // A fresh text node after a tick makes screen readers announce a repeated sentence again.
  window.setTimeout(() => {
    region.textContent = text;
  }, 50);
}

/** Moves keyboard focus to an element (headings get tabindex=-1 in the template). */
export function focus(element) {
  if (element) element.focus({ preventScroll: false });
}

/** The page-level state that tests and styles read: <body data-state="...">. */
export function setPageState(state) {
  document.body.dataset.state = state;
}

/** An element with a class and text, created without innerHTML. */
export function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

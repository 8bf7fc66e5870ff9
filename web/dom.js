// The page's elements and the small tools every part of the UI builds and
// updates them with: labels whose text is the full accessible name, lists
// updated in place by key, and focus that survives those updates.

/**
 * @template {HTMLElement} T
 * @param {string} id
 * @returns {T}
 */
function $(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing #${id}`);
  return /** @type {T} */ (el);
}

/** The elements of index.html, by id (camel case). */
export const els = {
  status: $('status'),
  roomName: $('room-name'),
  waitingCount: /** @type {HTMLButtonElement} */ ($('waiting-count')),
  openPeople: /** @type {HTMLButtonElement} */ ($('open-people')),
  peopleCount: $('people-count'),
  openChat: /** @type {HTMLButtonElement} */ ($('open-chat')),
  chatUnread: $('chat-unread'),
  prejoin: $('prejoin'),
  prejoinGrid: $('prejoin-grid'),
  mediaSetup: $('media-setup'),
  preview: /** @type {HTMLVideoElement} */ ($('preview')),
  previewAvatar: $('preview-avatar'),
  cameraSwitch: /** @type {HTMLButtonElement} */ ($('camera-switch')),
  micSwitch: /** @type {HTMLButtonElement} */ ($('mic-switch')),
  mediaNote: $('media-note'),
  micLevel: /** @type {HTMLMeterElement} */ ($('mic-level')),
  cameraSource: /** @type {HTMLSelectElement} */ ($('camera-source')),
  micSource: /** @type {HTMLSelectElement} */ ($('mic-source')),
  form: /** @type {HTMLFormElement} */ ($('join-form')),
  name: /** @type {HTMLInputElement} */ ($('name')),
  nameError: $('name-error'),
  join: /** @type {HTMLButtonElement} */ ($('join')),
  joinWait: $('join-wait'),
  meeting: $('meeting'),
  meetingHeading: $('meeting-heading'),
  waiting: $('waiting'),
  waitingHeading: $('waiting-heading'),
  guidelines: $('guidelines'),
  waitingMedia: $('waiting-media'),
  meetingLayout: $('meeting-layout'),
  stage: $('stage'),
  viewToggle: /** @type {HTMLButtonElement} */ ($('view-toggle')),
  audioOnly: /** @type {HTMLButtonElement} */ ($('audio-only')),
  audioOnlyNotice: /** @type {HTMLElement} */ ($('audio-only-notice')),
  pager: $('pager'),
  pagePrev: /** @type {HTMLButtonElement} */ ($('page-prev')),
  pageLabel: $('page-label'),
  pageNext: /** @type {HTMLButtonElement} */ ($('page-next')),
  tiles: $('tiles'),
  dock: $('dock'),
  timerBox: $('timer-box'),
  shareTimer: $('share-timer'),
  timerNote: $('timer-note'),
  askUnmute: $('ask-unmute'),
  askUnmuteYes: /** @type {HTMLButtonElement} */ ($('ask-unmute-yes')),
  askUnmuteNo: /** @type {HTMLButtonElement} */ ($('ask-unmute-no')),
  renameSelfSlot: $('rename-self-slot'),
  sideWrap: $('side-wrap'),
  waitingPanel: $('waiting-panel'),
  admitAll: /** @type {HTMLButtonElement} */ ($('admit-all')),
  denyAll: /** @type {HTMLButtonElement} */ ($('deny-all')),
  waitingList: $('waiting-list'),
  waitingListHeading: $('waiting-list-heading'),
  waitingEmpty: $('waiting-empty'),
  side: $('side'),
  closeSheet: /** @type {HTMLButtonElement} */ ($('close-sheet')),
  handsHeading: $('hands-heading'),
  hands: $('hands'),
  handsEmpty: $('hands-empty'),
  nextSpeaker: /** @type {HTMLButtonElement} */ ($('next-speaker')),
  participantsHeading: $('participants-heading'),
  participants: $('participants'),
  fac: $('fac-controls'),
  lock: /** @type {HTMLButtonElement} */ ($('lock')),
  muteAll: /** @type {HTMLButtonElement} */ ($('mute-all')),
  chatToggle: /** @type {HTMLButtonElement} */ ($('chat-toggle')),
  suspend: /** @type {HTMLButtonElement} */ ($('suspend')),
  resume: /** @type {HTMLButtonElement} */ ($('resume')),
  endMeeting: /** @type {HTMLButtonElement} */ ($('end-meeting')),
  endSlot: $('end-slot'),
  mode: /** @type {HTMLSelectElement} */ ($('mode')),
  shareMinutes: /** @type {HTMLInputElement} */ ($('share-minutes')),
  timerAutoMute: /** @type {HTMLInputElement} */ ($('timer-automute')),
  timerToggle: /** @type {HTMLButtonElement} */ ($('timer-toggle')),
  setGuidelines: /** @type {HTMLTextAreaElement} */ ($('set-guidelines')),
  saveGuidelines: /** @type {HTMLButtonElement} */ ($('save-guidelines')),
  chatHeading: $('chat-heading'),
  chatLog: $('chat-log'),
  chatClosed: $('chat-closed'),
  chatForm: /** @type {HTMLFormElement} */ ($('chat-form')),
  chatTo: /** @type {HTMLSelectElement} */ ($('chat-to')),
  chatText: /** @type {HTMLTextAreaElement} */ ($('chat-text')),
  chatSend: /** @type {HTMLButtonElement} */ ($('chat-send')),
  mute: /** @type {HTMLButtonElement} */ ($('mute')),
  muteNote: $('mute-note'),
  camera: /** @type {HTMLButtonElement} */ ($('camera')),
  hand: /** @type {HTMLButtonElement} */ ($('hand')),
  shareScreen: /** @type {HTMLButtonElement} */ ($('share-screen')),
  screenView: $('screen-view'),
  screenVideo: /** @type {HTMLVideoElement} */ ($('screen-video')),
  screenLabel: $('screen-label'),
  more: /** @type {HTMLButtonElement} */ ($('more')),
  moreMenu: $('more-menu'),
  renameSelf: /** @type {HTMLButtonElement} */ ($('rename-self')),
  showShortcuts: /** @type {HTMLButtonElement} */ ($('show-shortcuts')),
  leave: /** @type {HTMLButtonElement} */ ($('leave')),
  shortcuts: $('shortcuts'),
  shortcutsHeading: $('shortcuts-heading'),
  shortcutsOn: /** @type {HTMLInputElement} */ ($('shortcuts-on')),
  closeShortcuts: /** @type {HTMLButtonElement} */ ($('close-shortcuts')),
  ended: $('ended'),
  endedMessage: $('ended-message'),
  endedDetail: $('ended-detail'),
  supportText: $('support-text'),
  rejoin: /** @type {HTMLButtonElement} */ ($('rejoin')),
  getHelp: /** @type {HTMLButtonElement} */ ($('get-help')),
  helpPanel: $('help-panel'),
  helpHeading: $('help-heading'),
  helpText: $('help-text'),
  closeHelp: /** @type {HTMLButtonElement} */ ($('close-help')),
  newHere: /** @type {HTMLInputElement} */ ($('new-here')),
  blurSwitch: /** @type {HTMLButtonElement} */ ($('blur-switch')),
  blurToggle: /** @type {HTMLButtonElement} */ ($('blur-toggle')),
  reportOpen: /** @type {HTMLButtonElement} */ ($('report-open')),
  reportBox: $('report-box'),
  reportHeading: $('report-heading'),
  reportForm: /** @type {HTMLFormElement} */ ($('report-form')),
  reportMessage: $('report-message'),
  reportAbout: /** @type {HTMLSelectElement} */ ($('report-about')),
  reportReason: /** @type {HTMLTextAreaElement} */ ($('report-reason')),
  reportCancel: /** @type {HTMLButtonElement} */ ($('report-cancel')),
  reportsPanel: $('reports-panel'),
  reportsList: $('reports-list'),
};

/**
 * Sets an element's text only when it differs, so that live regions do not
 * announce unchanged text again.
 * @param {Element} el
 * @param {string} text
 */
export function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

/**
 * @param {string} tag
 * @param {string} [className]
 * @param {string} [text]
 * @returns {HTMLElement}
 */
export function h(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

/** @param {HTMLVideoElement} video */
export function play(video) {
  const p = video.play();
  if (p && typeof p.catch === 'function') p.catch(() => {});
}

/** @param {MediaStream|null|undefined} stream @returns {boolean} */
export function hasLiveVideo(stream) {
  return !!stream && stream.getVideoTracks().some((t) => t.readyState === 'live');
}

/**
 * A label made of visible text and visually hidden text (strings in an
 * array); the text content is the full accessible name.
 * @typedef {Array<string|[string]>} LabelParts
 */

/** @type {WeakMap<Element, string>} */
const labelSigs = new WeakMap();

/**
 * @param {HTMLElement} el
 * @param {LabelParts} parts
 */
export function setLabel(el, parts) {
  const sig = JSON.stringify(parts);
  if (labelSigs.get(el) === sig) return;
  labelSigs.set(el, sig);
  el.replaceChildren(...parts.map((p) => (typeof p === 'string' ? document.createTextNode(p) : h('span', 'visually-hidden', p[0]))));
}

/**
 * Updates parent's children in place, keyed by data-key: stale ones are
 * removed first, existing ones are kept (with their focus), new ones are
 * created, and the order follows items.
 * @template T
 * @param {HTMLElement} parent
 * @param {Array<{key: string, item: T}>} items
 * @param {(item: T) => HTMLElement} create
 * @param {(el: HTMLElement, item: T) => void} update
 * @returns {number} how many elements were created
 */
export function reconcile(parent, items, create, update) {
  const wanted = new Set(items.map((i) => i.key));
  for (const el of [...parent.children]) {
    if (!wanted.has(el.getAttribute('data-key') || '')) el.remove();
  }
  /** @type {Map<string, HTMLElement>} */
  const existing = new Map();
  for (const el of parent.children) existing.set(el.getAttribute('data-key') || '', /** @type {HTMLElement} */ (el));
  let created = 0;
  /** @type {Element|null} */
  let prev = null;
  for (const { key, item } of items) {
    let el = existing.get(key);
    if (!el) {
      el = create(item);
      el.setAttribute('data-key', key);
      created++;
    }
    update(el, item);
    /** @type {Element|null} */
    const want = prev ? prev.nextElementSibling : parent.firstElementChild;
    if (want !== el) parent.insertBefore(el, want);
    prev = el;
  }
  return created;
}

/**
 * @typedef {Object} Action
 * @property {string} key        stable per row, e.g. "mute" (Mute / Ask to unmute)
 * @property {LabelParts} label
 * @property {() => void} run
 * @property {string} [className]
 */

/** @type {WeakMap<HTMLElement, () => void>} */
const actionRuns = new WeakMap();

/**
 * Renders a row's buttons, keeping the elements (and focus) per key.
 * @param {HTMLElement} container
 * @param {Action[]} actions
 * @param {string} fkeyPrefix  makes data-fkey unique in the page
 */
export function renderActions(container, actions, fkeyPrefix) {
  reconcile(container, actions.map((a) => ({ key: a.key, item: a })), () => {
    const b = /** @type {HTMLButtonElement} */ (h('button', 'small'));
    b.type = 'button';
    b.addEventListener('click', () => {
      const run = actionRuns.get(b);
      if (run) run();
    });
    return b;
  }, (el, a) => {
    actionRuns.set(el, a.run);
    el.setAttribute('data-fkey', fkeyPrefix + a.key);
    const cls = a.className ? `small ${a.className}` : 'small';
    if (el.className !== cls) el.className = cls;
    setLabel(el, a.label);
  });
  container.hidden = actions.length === 0;
}

// ---- focus that survives updates ----------------------------------------------

/**
 * @typedef {Object} FocusMark
 * @property {Element} el
 * @property {string|null} key    data-fkey of the focused control
 * @property {Element|null} item  the list row it was in
 * @property {Element|null} group the area it was in (data-fgroup)
 */

/** @returns {FocusMark|null} */
export function rememberFocus() {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  return {
    el,
    key: el.getAttribute('data-fkey'),
    item: el.closest('[data-item]'),
    group: el.closest('[data-fgroup]'),
  };
}

/** @param {Element|null} el @returns {el is HTMLElement} */
export function focusable(el) {
  if (!(el instanceof HTMLElement) || !el.isConnected) return false;
  if (/** @type {HTMLButtonElement} */ (el).disabled) return false;
  return el.getClientRects().length > 0;
}

/**
 * Puts focus back near where it was when the focused control went away.
 * @param {FocusMark|null} mark
 */
export function restoreFocus(mark) {
  if (!mark) return;
  const now = document.activeElement;
  if (now === mark.el || (now && now !== document.body)) return;
  /** @type {Element|null} */
  let target = null;
  if (mark.key) target = document.querySelector(`[data-fkey="${CSS.escape(mark.key)}"]`);
  if (!focusable(target) && mark.item && mark.item.isConnected) target = mark.item.querySelector('button, input, select, textarea');
  if (!focusable(target) && mark.group && mark.group.isConnected) {
    target = [...mark.group.querySelectorAll('button, input, select, textarea')].find(focusable) || null;
    if (!focusable(target)) target = mark.group.querySelector('h2[tabindex]');
  }
  if (target instanceof HTMLElement && target.isConnected && target.getClientRects().length > 0) target.focus();
}

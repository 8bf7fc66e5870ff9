// The /verify page (served by signaling/verify): a proof arriving in the
// URL's fragment (the link in a proof's QR code) is put in the form and
// sent, so that it is checked at once and never appears in a server log.

const hash = decodeURIComponent(window.location.hash.slice(1));
if (hash.startsWith('HP1.')) {
  const text = /** @type {HTMLTextAreaElement|null} */ (document.getElementById('proof-text'));
  const form = /** @type {HTMLFormElement|null} */ (document.getElementById('proof-form'));
  if (text && form) {
    text.value = hash;
    window.history.replaceState(null, '', window.location.pathname);
    form.submit();
  }
}

// Tiny DOM helpers. Text always goes in as text nodes, never as HTML, so prompts written by
// other people (the Plaza) cannot inject markup.

export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') element.className = value;
    else if (key === 'dataset') Object.assign(element.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') element.addEventListener(key.slice(2), value);
    else if (value === true) element.setAttribute(key, '');
    else element.setAttribute(key, String(value));
  }
  appendChildren(element, children);
  return element;
}

export function appendChildren(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

export function clear(element) {
  while (element.firstChild) element.removeChild(element.firstChild);
  return element;
}

let toastTimer = null;

// A short status line announced to screen readers (the toast region is aria-live).
export function toast(message, kind = 'info') {
  const region = document.getElementById('toast');
  if (!region) return;
  region.textContent = message;
  region.dataset.kind = kind;
  region.classList.add('visible');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => region.classList.remove('visible'), 3500);
}

export async function copyText(text) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // Permission refused or no focus: fall back to the selection-based copy below.
  }
  const area = h('textarea', { class: 'offscreen', readonly: true });
  area.value = text;
  document.body.append(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand('copy');
  } catch {
    ok = false;
  }
  area.remove();
  return ok;
}

export function copyButton(getText, label = 'Copy') {
  const button = h('button', { type: 'button', class: 'button secondary copy-button' }, label);
  button.addEventListener('click', async () => {
    const ok = await copyText(typeof getText === 'function' ? getText() : getText);
    button.textContent = ok ? 'Copied' : 'Copy failed';
    toast(ok ? 'Copied to the clipboard.' : 'Could not copy; select the text and copy it by hand.', ok ? 'info' : 'error');
    setTimeout(() => { button.textContent = label; }, 1800);
  });
  return button;
}

export function formatDate(epochSeconds) {
  if (!epochSeconds) return '—';
  const date = new Date(epochSeconds * 1000);
  return date.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export function errorBox(message) {
  return h('div', { class: 'alert error', role: 'alert' }, message);
}

// API keys: create (shown once), list, revoke.
import { studioApi } from '../api.js';
import { h, clear, errorBox, toast, copyButton, formatDate } from '../dom.js';

const EXPIRY_CHOICES = [
  { days: 7, label: '7 days' },
  { days: 30, label: '30 days' },
  { days: 90, label: '90 days' },
  { days: 365, label: '1 year' },
];

function statusOf(key) {
  if (key.revoked_at || key.revoked) return 'revoked';
  if (key.expires_at && key.expires_at * 1000 < Date.now()) return 'expired';
  return 'active';
}

export async function render(main, context) {
  main.append(h('h1', { class: 'page-title' }, 'API keys'),
    h('p', { class: 'page-lead' }, 'Keys authenticate calls to /v1/audio/sound_effect_generate. A key is shown once: store it in your secret manager.'));
  if (!context.session.user) {
    main.append(h('div', { class: 'card empty' }, h('p', {}, 'Sign in to manage your API keys.'),
      h('a', { class: 'button primary', href: '#/signin?next=keys' }, 'Sign in')));
    return;
  }

  const name = h('input', { type: 'text', id: 'key-name', name: 'name', placeholder: 'e.g. my-game-backend', maxlength: 64, required: true });
  const expiry = h('select', { id: 'key-expiry', name: 'expires_in_days' },
    EXPIRY_CHOICES.map((c) => h('option', { value: c.days, selected: c.days === 30 }, c.label)));
  const error = h('div');
  const reveal = h('div', { id: 'new-key' });
  const table = h('div', { class: 'table-wrap', id: 'key-list' });

  async function load() {
    try {
      const data = await studioApi.keys();
      clear(table);
      if (!data.keys.length) {
        table.append(h('p', { class: 'empty' }, 'No keys yet.'));
        return;
      }
      table.append(h('table', {},
        h('thead', {}, h('tr', {}, ['Name', 'Key', 'Created', 'Expires', 'Status', ''].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, data.keys.map((key) => {
          const status = statusOf(key);
          const revoke = status === 'active'
            ? h('button', { type: 'button', class: 'button danger small revoke-button', 'aria-label': `Revoke key ${key.name}` }, 'Revoke')
            : null;
          if (revoke) {
            revoke.addEventListener('click', async () => {
              if (!window.confirm(`Revoke “${key.name}”? Programs using it stop working at once.`)) return;
              try {
                await studioApi.revokeKey(key.id);
                toast('Key revoked.');
                await load();
              } catch (failure) {
                toast(failure.message, 'error');
              }
            });
          }
          return h('tr', { 'data-testid': 'key-row', 'data-key-id': key.id },
            h('td', {}, key.name),
            h('td', {}, h('code', {}, key.prefix ? `${key.prefix}…` : '—')),
            h('td', {}, formatDate(key.created_at)),
            h('td', {}, formatDate(key.expires_at)),
            h('td', { class: `status-${status}` }, status),
            h('td', {}, revoke));
        }))));
    } catch (failure) {
      clear(table);
      table.append(errorBox(failure.message));
    }
  }

  async function onSubmit(event) {
    event.preventDefault();
    clear(error);
    clear(reveal);
    try {
      const created = await studioApi.createKey(name.value.trim(), Number(expiry.value));
      const secret = h('code', { class: 'secret', id: 'new-key-value' }, created.key);
      reveal.append(h('div', { class: 'alert ok stack', role: 'status' },
        h('strong', {}, `Key “${created.name}” created. Copy it now: it will not be shown again.`),
        h('div', { class: 'row' }, secret, copyButton(() => created.key, 'Copy key'))));
      name.value = '';
      await load();
    } catch (failure) {
      error.append(errorBox(failure.message));
      name.focus();
    }
  }

  main.append(
    h('form', { class: 'card stack', id: 'key-form', onsubmit: onSubmit, novalidate: true, 'aria-label': 'Create an API key' },
      h('div', { class: 'row', style: 'align-items:flex-end' },
        h('div', { class: 'field spacer' }, h('label', { for: 'key-name' }, 'Name'), name),
        h('div', { class: 'field' }, h('label', { for: 'key-expiry' }, 'Expires after'), expiry),
        h('button', { type: 'submit', class: 'button primary', id: 'create-key' }, 'Create key')),
      error, reveal),
    h('section', { class: 'card', style: 'margin-top:20px', 'aria-label': 'Your keys' }, h('h2', { style: 'margin-top:0;font-size:1.1rem' }, 'Your keys'), table),
  );
  await load();
}

// The studio's shell: hash router, session state and the header. Each page is a module
// exporting render(container, context) that may return a cleanup function.
import { studioApi, setCsrfToken } from './api.js';
import { h, clear, toast } from './dom.js';

const routes = {
  studio: { title: 'Studio', load: () => import('./pages/studio.js') },
  plaza: { title: 'Plaza', load: () => import('./pages/plaza.js') },
  keys: { title: 'API keys', load: () => import('./pages/keys.js') },
  integrate: { title: 'Integrate', load: () => import('./pages/integrate.js') },
  signin: { title: 'Sign in', load: () => import('./pages/account.js'), mode: 'signin' },
  signup: { title: 'Create account', load: () => import('./pages/account.js'), mode: 'signup' },
};

const state = { session: { user: null }, cleanup: null, renderId: 0 };

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, query = ''] = raw.split('?');
  const name = routes[path] ? path : 'studio';
  return { name, params: new URLSearchParams(query) };
}

export function navigate(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

async function refreshSession() {
  try {
    state.session = await studioApi.session();
  } catch {
    state.session = { user: null };
  }
  setCsrfToken(state.session.csrf_token);
  renderAccount();
  return state.session;
}

function renderAccount() {
  const area = document.getElementById('account');
  clear(area);
  const user = state.session.user;
  if (user) {
    area.append(
      h('span', { class: 'account-name', 'data-testid': 'account-name' }, user.name, user.is_admin ? h('span', { class: 'badge' }, 'admin') : null),
      h('button', { type: 'button', class: 'button ghost', id: 'sign-out', onclick: signOut }, 'Sign out'),
    );
  } else {
    area.append(
      h('a', { class: 'button ghost', href: '#/signin' }, 'Sign in'),
      h('a', { class: 'button primary', href: '#/signup' }, 'Create account'),
    );
  }
}

async function signOut() {
  try {
    await studioApi.signOut();
    toast('Signed out.');
  } catch (error) {
    toast(error.message, 'error');
  }
  await refreshSession();
  route();
}

async function route() {
  const { name, params } = parseHash();
  const entry = routes[name];
  const renderId = ++state.renderId;
  if (state.cleanup) {
    try { state.cleanup(); } catch { /* a page's cleanup must never block navigation */ }
    state.cleanup = null;
  }
  for (const link of document.querySelectorAll('.site-nav a')) {
    if (link.dataset.route === name) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  document.title = `${entry.title} · Foley`;
  const main = document.getElementById('main');
  clear(main);
  main.append(h('p', { class: 'loading' }, 'Loading…'));
  const module = await entry.load();
  if (renderId !== state.renderId) return; // the user navigated again meanwhile
  clear(main);
  const context = { session: state.session, params, navigate, refreshSession, mode: entry.mode, toast };
  state.cleanup = (await module.render(main, context)) || null;
  document.querySelector('.site-nav')?.classList.remove('open');
}

function wireMenu() {
  const toggle = document.getElementById('menu-toggle');
  const nav = document.querySelector('.site-nav');
  toggle.addEventListener('click', () => {
    const open = nav.classList.toggle('open');
    toggle.setAttribute('aria-expanded', String(open));
  });
}

window.addEventListener('hashchange', route);
wireMenu();
refreshSession().then(route);

// Sign in and create account: one form, two modes.
import { studioApi } from '../api.js';
import { h, clear, errorBox, toast } from '../dom.js';

export async function render(main, context) {
  const signup = context.mode === 'signup';
  if (context.session.user) {
    main.append(h('div', { class: 'card auth' },
      h('h1', {}, `Signed in as ${context.session.user.name}`),
      h('p', {}, h('a', { class: 'button primary', href: '#/studio' }, 'Open the studio'))));
    return;
  }
  const next = context.params.get('next');
  const username = h('input', { type: 'text', id: 'username', name: 'username', autocomplete: 'username', required: true, minlength: 3, maxlength: 32, autocapitalize: 'none', spellcheck: 'false' });
  const password = h('input', { type: 'password', id: 'password', name: 'password', autocomplete: signup ? 'new-password' : 'current-password', required: true, minlength: signup ? 8 : 1 });
  const error = h('div', { id: 'auth-error' });
  const submit = h('button', { type: 'submit', class: 'button primary block', id: 'auth-submit' }, signup ? 'Create account' : 'Sign in');

  async function onSubmit(event) {
    event.preventDefault();
    clear(error);
    submit.disabled = true;
    try {
      if (signup) await studioApi.signUp(username.value.trim(), password.value);
      else await studioApi.signIn(username.value.trim(), password.value);
      await context.refreshSession();
      toast(signup ? 'Welcome to Foley!' : 'Signed in.');
      context.navigate(`#/${next && /^[a-z]+$/.test(next) ? next : 'studio'}`);
    } catch (failure) {
      error.append(errorBox(failure.message));
      (failure.field === 'password' ? password : username).focus();
    } finally {
      submit.disabled = false;
    }
  }

  main.append(h('form', { class: 'card auth stack', id: 'auth-form', onsubmit: onSubmit, novalidate: true },
    h('h1', {}, signup ? 'Create your account' : 'Welcome back'),
    h('p', { class: 'muted' }, signup
      ? 'An account lets you generate in the studio, share to the Plaza and create API keys.'
      : 'Sign in to start calling /v1/audio/sound_effect_generate.'),
    h('div', { class: 'field' }, h('label', { for: 'username' }, 'Username'), username,
      signup ? h('span', { class: 'hint' }, '3–32 characters: letters, digits, dot, dash, underscore.') : null),
    h('div', { class: 'field' }, h('label', { for: 'password' }, 'Password'), password,
      signup ? h('span', { class: 'hint' }, 'At least 8 characters.') : null),
    error,
    submit,
    h('p', { class: 'small muted' }, signup
      ? ['Already have an account? ', h('a', { href: '#/signin' }, 'Sign in')]
      : ['New here? ', h('a', { href: '#/signup' }, 'Create an account')]),
  ));
  username.focus();
}

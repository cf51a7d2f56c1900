// Integration: the copy-to-prompt text served by /v1/integration-prompt, and the
// TypeScript and Python scaffolds it carries (or the bundled ones if it carries none).
import { studioApi } from '../api.js';
import { h, clear, errorBox, copyButton } from '../dom.js';

const LANGUAGES = [
  { id: 'typescript', label: 'TypeScript', fences: ['typescript', 'ts'], fallback: '/scaffolds/foley-client.ts' },
  { id: 'python', label: 'Python', fences: ['python', 'py'], fallback: '/scaffolds/foley_client.py' },
];

// The longest fenced block in a language is the scaffold; short ones are examples.
function fencedBlock(markdown, names) {
  const pattern = /^```([A-Za-z0-9_+-]*)[^\n]*\n([\s\S]*?)^```/gm;
  let best = null;
  for (const match of markdown.matchAll(pattern)) {
    if (names.includes(match[1].toLowerCase()) && (!best || match[2].length > best.length)) best = match[2];
  }
  return best;
}

// Rough size for a coding agent's context: about four characters per token in English.
function estimateTokens(text) {
  return Math.round(text.length / 4);
}

export async function render(main, context) {
  const promptBox = h('pre', { class: 'code', id: 'integration-prompt', tabindex: '0', 'aria-label': 'Integration prompt' }, 'Loading…');
  const tokens = h('span', { class: 'badge', id: 'prompt-tokens' }, '— tokens');
  let promptText = '';

  const tabButtons = [];
  const panels = [];
  const codes = {};
  for (const [index, language] of LANGUAGES.entries()) {
    const code = h('pre', { class: 'code', id: `scaffold-${language.id}`, tabindex: '0' }, 'Loading…');
    codes[language.id] = code;
    const panel = h('div', { role: 'tabpanel', id: `panel-${language.id}`, 'aria-labelledby': `tab-${language.id}`, hidden: index !== 0 },
      h('div', { class: 'code-head' }, h('span', { class: 'muted small' }, `${language.label} scaffold`), h('span', { class: 'spacer' }),
        copyButton(() => code.textContent, `Copy ${language.label}`)),
      code);
    const tab = h('button', { type: 'button', role: 'tab', id: `tab-${language.id}`, 'aria-controls': `panel-${language.id}`,
      'aria-selected': String(index === 0), tabindex: index === 0 ? '0' : '-1' }, language.label);
    tabButtons.push(tab);
    panels.push(panel);
  }
  function select(index) {
    tabButtons.forEach((tab, i) => {
      tab.setAttribute('aria-selected', String(i === index));
      tab.tabIndex = i === index ? 0 : -1;
      panels[i].hidden = i !== index;
    });
    tabButtons[index].focus();
  }
  tabButtons.forEach((tab, i) => {
    tab.addEventListener('click', () => select(i));
    tab.addEventListener('keydown', (event) => {
      if (event.key === 'ArrowRight') select((i + 1) % tabButtons.length);
      if (event.key === 'ArrowLeft') select((i - 1 + tabButtons.length) % tabButtons.length);
    });
  });

  main.append(
    h('h1', { class: 'page-title' }, 'Integrate with AI'),
    h('p', { class: 'page-lead' }, 'Drop this prompt into Claude Code, Cursor or Codex and say “do this in my stack”. It covers the API shape, auth, retries with backoff, error handling and example I/O.'),
    h('section', { class: 'card', 'aria-labelledby': 'prompt-heading' },
      h('div', { class: 'code-head' }, h('h2', { id: 'prompt-heading' }, 'AI-ready prompt'), tokens, h('span', { class: 'spacer' }),
        copyButton(() => promptText, 'Copy prompt')),
      promptBox),
    h('section', { class: 'card', style: 'margin-top:20px', 'aria-labelledby': 'scaffold-heading' },
      h('div', { class: 'code-head' }, h('h2', { id: 'scaffold-heading' }, 'Scaffolds')),
      h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Scaffold language' }, tabButtons),
      panels),
    h('p', { class: 'small muted' }, 'You need an API key: ', h('a', { href: '#/keys' }, 'create one on the API keys page'), '.'),
  );

  let markdown = '';
  try {
    markdown = await studioApi.integrationPrompt();
    promptText = markdown;
    promptBox.textContent = markdown;
    tokens.textContent = `≈ ${estimateTokens(markdown).toLocaleString()} tokens`;
  } catch (error) {
    clear(promptBox);
    promptBox.replaceWith(errorBox(error.message));
  }
  for (const language of LANGUAGES) {
    const fromPrompt = markdown ? fencedBlock(markdown, language.fences) : null;
    if (fromPrompt) {
      codes[language.id].textContent = fromPrompt;
      continue;
    }
    try {
      const response = await fetch(language.fallback);
      codes[language.id].textContent = response.ok ? await response.text() : 'Scaffold not available.';
    } catch {
      codes[language.id].textContent = 'Scaffold not available.';
    }
  }
}

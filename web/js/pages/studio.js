// Studio: the generator form and the variants it produced.
import { studioApi, fieldFromMessage } from '../api.js';
import { h, clear, toast, errorBox } from '../dom.js';
import { loadForm, saveForm, randomSeed, DEFAULT_FORM } from '../form-state.js';
import { loadAndDraw, vizCanvases } from '../variant-view.js';

// Results stay while the page is open, so visiting the Plaza and coming back keeps them.
let lastResult = null;
let modelInfo = null;

function numberOrNull(text) {
  const trimmed = String(text ?? '').trim();
  if (trimmed === '') return null;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : trimmed; // let the server name a non-number
}

// Drawn inline: emoji fonts are not on every machine, and nothing loads from elsewhere.
function diceIcon() {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  const box = document.createElementNS(ns, 'rect');
  Object.entries({ x: 3, y: 3, width: 18, height: 18, rx: 4, fill: 'none', stroke: 'currentColor', 'stroke-width': 2 })
    .forEach(([k, v]) => box.setAttribute(k, v));
  svg.append(box);
  for (const [cx, cy] of [[8, 8], [16, 8], [12, 12], [8, 16], [16, 16]]) {
    const dot = document.createElementNS(ns, 'circle');
    dot.setAttribute('cx', cx);
    dot.setAttribute('cy', cy);
    dot.setAttribute('r', 1.6);
    dot.setAttribute('fill', 'currentColor');
    svg.append(dot);
  }
  return svg;
}

function slider(id, label, value, { min, max, step, hint }) {
  const input = h('input', { type: 'range', id, name: id, min, max, step, value, 'aria-describedby': `${id}-hint` });
  const output = h('output', { class: 'range-value', for: id, id: `${id}-value` }, String(value));
  input.addEventListener('input', () => { output.textContent = input.value; });
  return {
    input,
    element: h('div', { class: 'field' },
      h('label', { for: id }, label),
      h('div', { class: 'range-row' }, input, output),
      h('span', { class: 'hint', id: `${id}-hint` }, hint)),
  };
}

function variantCount(value) {
  const buttons = [1, 2, 3, 4].map((n) => h('button', {
    type: 'button', 'aria-pressed': String(n === value), 'data-n': n, 'aria-label': `${n} variant${n > 1 ? 's' : ''}`,
  }, String(n)));
  const group = h('div', { class: 'segmented', role: 'group', 'aria-labelledby': 'n-label', id: 'n' }, buttons);
  let current = value;
  for (const button of buttons) {
    button.addEventListener('click', () => {
      current = Number(button.dataset.n);
      for (const other of buttons) other.setAttribute('aria-pressed', String(other === button));
    });
  }
  return { element: h('div', { class: 'field' }, h('span', { class: 'label', id: 'n-label' }, 'Variants'), group), value: () => current };
}

function renderVariant(clip, index, context, args) {
  const label = `variant ${index + 1}`;
  const audio = h('audio', { controls: true, preload: 'auto', 'aria-label': `Play ${label}` });
  const { waveform, spectrogramCanvas, element: viz } = vizCanvases(label);
  const status = h('p', { class: 'muted small' }, 'Loading audio…');
  const shareButton = h('button', { type: 'button', class: 'button secondary small share-button' }, 'Share to Plaza');
  shareButton.addEventListener('click', async () => {
    if (!context.session.user) {
      toast('Sign in to share.', 'error');
      return;
    }
    shareButton.disabled = true;
    shareButton.textContent = 'Sharing…';
    try {
      const shared = await studioApi.share(clip.id);
      shareButton.textContent = 'Shared ✓';
      clip.sharedId = shared.id;
      toast('Shared to the Plaza.');
    } catch (error) {
      shareButton.disabled = false;
      shareButton.textContent = 'Share to Plaza';
      toast(error.message, 'error');
    }
  });
  if (clip.sharedId) {
    shareButton.disabled = true;
    shareButton.textContent = 'Shared ✓';
  }
  const card = h('article', { class: 'card variant', 'data-testid': 'variant', 'data-seed': clip.seed },
    h('div', { class: 'variant-head' },
      h('h3', {}, `Variant ${index + 1}`),
      h('span', { class: 'seed-chip', title: 'Seed: reproduce this variant alone with this seed and 1 variant' }, `seed ${clip.seed}`),
      h('span', { class: 'muted small' }, `${Number(clip.duration ?? args.duration).toFixed(2)} s · cfg ${args.cfg}`),
    ),
    audio,
    viz,
    status,
    h('div', { class: 'row' },
      h('a', { class: 'button secondary small', href: clip.wav_url, download: `foley-${clip.seed}.wav` }, 'Download WAV'),
      h('a', { class: 'button secondary small', href: clip.flac_url, download: `foley-${clip.seed}.flac` }, 'Download FLAC'),
      h('span', { class: 'spacer' }),
      shareButton,
    ),
  );
  loadAndDraw(clip.wav_url, { waveform, spectrogramCanvas, audio })
    .then(({ duration }) => { status.textContent = `${duration.toFixed(2)} s · 48 kHz stereo`; })
    .catch((error) => { status.textContent = error.message; status.classList.add('alert', 'error'); });
  return card;
}

function renderResults(container, context) {
  clear(container);
  if (!lastResult) {
    container.append(h('div', { class: 'placeholder' },
      h('p', {}, 'Your variants appear here, each with its player, waveform and spectrogram.'),
      h('p', { class: 'small' }, 'Tip: keep the seed to reproduce a sound; press the dice for a new one.')));
    return;
  }
  container.append(h('div', { class: 'variants', 'data-testid': 'variants' },
    lastResult.clips.map((clip, index) => renderVariant(clip, index, context, lastResult.args))));
}

export async function render(main, context) {
  // Clips are private to whoever made them: after signing out (or in as someone else) the
  // previous variants are not shown.
  if (lastResult && lastResult.userId !== context.session.user?.id) lastResult = null;
  const values = loadForm();
  const signedIn = Boolean(context.session.user);

  const prompt = h('textarea', { id: 'prompt', name: 'prompt', rows: 3, placeholder: 'heavy wooden door creaks open, then slams', required: true });
  prompt.value = values.prompt;
  const negative = h('input', { type: 'text', id: 'negative_prompt', name: 'negative_prompt', placeholder: 'e.g. music, speech' });
  negative.value = values.negative_prompt;
  const cfg = slider('cfg', 'CFG (guidance)', values.cfg, { min: 0, max: 10, step: 0.5, hint: 'Higher follows the prompt more closely but distorts more easily.' });
  const duration = h('input', { type: 'number', id: 'duration', name: 'duration', min: 0.1, step: 'any', value: values.duration, 'aria-describedby': 'duration-hint' });
  const durationHint = h('span', { class: 'hint', id: 'duration-hint' }, 'Seconds of audio.');
  const seed = h('input', { type: 'text', inputmode: 'numeric', id: 'seed', name: 'seed', placeholder: 'random', value: values.seed, 'aria-describedby': 'seed-hint' });
  const dice = h('button', { type: 'button', class: 'button secondary icon-button', id: 'seed-dice', 'aria-label': 'Roll a random seed', title: 'Roll a random seed' }, diceIcon());
  dice.addEventListener('click', () => { seed.value = String(randomSeed()); seed.removeAttribute('aria-invalid'); });
  const steps = h('input', { type: 'number', id: 'steps', name: 'steps', min: 1, max: 200, placeholder: 'model default', value: values.steps });
  const count = variantCount(Number(values.n) || 1);
  const error = h('div', { id: 'generate-error' });
  const submit = h('button', { type: 'submit', class: 'button primary block', id: 'generate' }, signedIn ? 'Generate' : 'Sign in to generate');
  const results = h('section', { class: 'stack', id: 'results', 'aria-label': 'Generated variants', 'aria-live': 'polite' });

  const inputs = { prompt, negative_prompt: negative, cfg: cfg.input, duration, seed, steps };

  function collect() {
    return {
      prompt: prompt.value,
      negative_prompt: negative.value,
      cfg: Number(cfg.input.value),
      seed: seed.value.trim(),
      n: count.value(),
      duration: duration.value,
      steps: steps.value,
    };
  }

  function markInvalid(field) {
    for (const [name, input] of Object.entries(inputs)) {
      if (name === field) input.setAttribute('aria-invalid', 'true');
      else input.removeAttribute('aria-invalid');
    }
    if (field && inputs[field]) inputs[field].focus();
  }

  let controller = null;

  async function onSubmit(event) {
    event.preventDefault();
    const form = collect();
    saveForm(form);
    if (!context.session.user) {
      context.navigate('#/signin?next=studio');
      return;
    }
    const args = { prompt: form.prompt, cfg: form.cfg, n: form.n };
    const seedValue = numberOrNull(form.seed);
    if (seedValue !== null) args.seed = seedValue;
    const durationValue = numberOrNull(form.duration);
    if (durationValue !== null) args.duration = durationValue;
    const stepsValue = numberOrNull(form.steps);
    if (stepsValue !== null) args.steps = stepsValue;
    if (form.negative_prompt.trim()) args.negative_prompt = form.negative_prompt;

    clear(error);
    markInvalid(null);
    submit.disabled = true;
    controller = new AbortController();
    const started = performance.now();
    const elapsed = h('span', { class: 'muted small' }, '0.0 s');
    const cancel = h('button', { type: 'button', class: 'button ghost small' }, 'Cancel');
    cancel.addEventListener('click', () => controller && controller.abort());
    const progress = h('div', { class: 'card progress', role: 'progressbar', 'aria-label': 'Generating', 'aria-busy': 'true', id: 'progress' },
      h('div', { class: 'row' }, h('strong', {}, `Generating ${form.n} variant${form.n > 1 ? 's' : ''}…`), h('span', { class: 'spacer' }), elapsed, cancel),
      h('div', { class: 'progress-track' }, h('div', { class: 'progress-bar' })));
    clear(results);
    results.append(progress);
    const timer = setInterval(() => { elapsed.textContent = `${((performance.now() - started) / 1000).toFixed(1)} s`; }, 100);
    try {
      const result = await studioApi.generate(args, controller.signal);
      lastResult = { ...result, args: { ...args, ...(result.args || {}) }, userId: context.session.user.id };
      if (seedValue === null) toast(`Generated with seed ${result.clips[0]?.seed}.`);
    } catch (failure) {
      if (failure && failure.name === 'AbortError') {
        error.append(h('div', { class: 'alert' }, 'Generation cancelled.'));
      } else {
        error.append(errorBox(failure.message));
        if (failure.status === 422 || failure.status === 400) markInvalid(failure.field || fieldFromMessage(failure.message));
        if (failure.status === 401) await context.refreshSession();
      }
    } finally {
      clearInterval(timer);
      submit.disabled = false;
      controller = null;
      renderResults(results, context);
    }
  }

  const form = h('form', { class: 'card stack', id: 'generate-form', novalidate: true, onsubmit: onSubmit, 'aria-label': 'Generate sound effects' },
    h('div', { class: 'field' }, h('label', { for: 'prompt' }, 'Prompt'), prompt,
      h('span', { class: 'hint' }, 'English or Chinese. The more specific, the more controllable. Ctrl+Enter generates.')),
    h('div', { class: 'field' }, h('label', { for: 'negative_prompt' }, 'Negative prompt'), negative,
      h('span', { class: 'hint' }, 'What to steer away from (optional).')),
    cfg.element,
    h('div', { class: 'field' }, h('label', { for: 'seed' }, 'Seed'), h('div', { class: 'seed-row' }, seed, dice),
      h('span', { class: 'hint', id: 'seed-hint' }, 'Empty: a new random seed each time. Variant i uses seed + i.')),
    h('div', { class: 'row' },
      count.element,
      h('div', { class: 'field spacer' }, h('label', { for: 'duration' }, 'Duration (s)'), duration, durationHint)),
    h('details', {}, h('summary', {}, 'Advanced'),
      h('div', { class: 'field', style: 'margin-top:10px' }, h('label', { for: 'steps' }, 'Sampler steps'), steps)),
    error,
    submit,
    signedIn ? null : h('p', { class: 'small muted' }, 'Generating needs an account. ', h('a', { href: '#/signup' }, 'Create one'), ' or ', h('a', { href: '#/signin' }, 'sign in'), '.'),
  );
  // Ctrl/Cmd+Enter in the prompt generates, without reaching for the button.
  prompt.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener('input', () => saveForm(collect()));
  form.addEventListener('click', () => setTimeout(() => saveForm(collect()), 0));

  main.append(
    h('h1', { class: 'page-title' }, 'Studio'),
    h('p', { class: 'page-lead' }, 'Describe a sound in one sentence. Foley renders 48 kHz stereo variants you can play, inspect, download and share.'),
    h('div', { class: 'grid-2' }, form, results),
  );
  renderResults(results, context);

  studioApi.models().then((info) => {
    const models = Array.isArray(info) ? info : info.models || info.data || [];
    modelInfo = models[0] || modelInfo;
    const exactMax = modelInfo && (modelInfo.max_duration ?? modelInfo.max_duration_s);
    if (exactMax) {
      // Rounded down to milliseconds so the value shown is one the server accepts.
      const max = Math.floor(exactMax * 1000) / 1000;
      duration.max = String(max);
      durationHint.textContent = max < 0.5 ? `Seconds of audio, up to ${max} for ${modelInfo.id}.` : `Seconds of audio, 0.5 to ${max} for ${modelInfo.id}.`;
      // The default (5 s) may exceed a small model's limit; a value the user typed is left
      // alone so the server's own message explains it.
      if (Number(duration.value) > max && String(duration.value) === String(DEFAULT_FORM.duration)) duration.value = String(max);
    }
  }).catch(() => { /* the hint stays generic; the server still validates */ });

  prompt.focus();
  return () => { if (controller) controller.abort(); };
}

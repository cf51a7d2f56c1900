// Sound Effects Plaza: clips people shared, newest or most played, playable in place.
import { studioApi } from '../api.js';
import { h, clear, toast, errorBox, formatDate } from '../dom.js';
import { saveForm } from '../form-state.js';
import { loadAndDraw, vizCanvases } from '../variant-view.js';

const SORTS = [
  { id: 'newest', label: 'Newest' },
  { id: 'popular', label: 'Most played' },
];

function adapt(item, context) {
  saveForm({
    prompt: item.prompt,
    negative_prompt: item.negative_prompt || '',
    cfg: item.cfg,
    seed: String(item.seed),
    n: 1,
    duration: item.duration,
    steps: item.steps ? String(item.steps) : '',
  });
  toast('Loaded into the generator. Tweak it and generate.');
  context.navigate('#/studio');
}

function plazaCard(item, context, reload) {
  const audio = h('audio', { controls: true, preload: 'none', 'aria-label': `Play “${item.prompt}”` });
  const { waveform, spectrogramCanvas, element: viz } = vizCanvases(`“${item.prompt}”`);
  const plays = h('span', { class: 'plays' }, `${item.plays} play${item.plays === 1 ? '' : 's'}`);
  let counted = false;
  const playButton = h('button', { type: 'button', class: 'button primary small play-button' }, '▶ Play');

  let loading = null;
  function ensureLoaded() {
    if (!loading) {
      loading = loadAndDraw(item.audio_url, { waveform, spectrogramCanvas, audio }).catch((error) => {
        loading = null;
        throw error;
      });
    }
    return loading;
  }

  audio.addEventListener('play', () => {
    if (counted) return;
    counted = true; // one count per page view, not per pause/resume
    studioApi.countPlay(item.id).then((r) => {
      if (r && typeof r.plays === 'number') plays.textContent = `${r.plays} play${r.plays === 1 ? '' : 's'}`;
    }).catch(() => { counted = false; });
  });
  playButton.addEventListener('click', async () => {
    try {
      await ensureLoaded();
      await audio.play();
    } catch (error) {
      toast(error.message || 'Could not play this clip.', 'error');
    }
  });

  const actions = [
    playButton,
    h('button', { type: 'button', class: 'button secondary small adapt-button', onclick: () => adapt(item, context) }, 'Adapt'),
    h('a', { class: 'button ghost small', href: item.audio_url, download: `foley-plaza-${item.id}.flac` }, 'FLAC'),
  ];
  if (item.mine || (context.session.user && context.session.user.is_admin)) {
    const remove = h('button', { type: 'button', class: 'button danger small delete-button' }, 'Delete');
    remove.addEventListener('click', async () => {
      if (!window.confirm('Delete this clip from the Plaza? This cannot be undone.')) return;
      try {
        await studioApi.deleteShared(item.id);
        toast('Deleted.');
        reload();
      } catch (error) {
        toast(error.message, 'error');
      }
    });
    actions.push(h('span', { class: 'spacer' }), remove);
  }

  const card = h('article', { class: 'card plaza-card', 'data-testid': 'plaza-item', 'data-id': item.id },
    h('p', { class: 'prompt' }, item.prompt),
    h('div', { class: 'meta' },
      h('span', {}, `by ${item.owner}`),
      h('span', {}, formatDate(item.created_at)),
      plays),
    h('div', { class: 'meta' },
      h('span', { class: 'seed-chip' }, `seed ${item.seed}`),
      h('span', {}, `cfg ${item.cfg}`),
      h('span', {}, `${Number(item.duration).toFixed(2)} s`),
      item.steps ? h('span', {}, `${item.steps} steps`) : null,
      item.negative_prompt ? h('span', {}, `not: ${item.negative_prompt}`) : null),
    viz,
    audio,
    h('div', { class: 'row' }, actions),
  );
  // Waveform and spectrogram previews load as cards scroll into view, not all at once.
  if ('IntersectionObserver' in window) {
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((entry) => entry.isIntersecting)) {
        observer.disconnect();
        ensureLoaded().catch(() => { /* shown again on Play, with its error */ });
      }
    }, { rootMargin: '200px' });
    observer.observe(card);
  }
  return card;
}

export async function render(main, context) {
  const sort = SORTS.some((s) => s.id === context.params.get('sort')) ? context.params.get('sort') : 'newest';
  const page = Math.max(1, Number.parseInt(context.params.get('page') || '1', 10) || 1);
  const list = h('div', { id: 'plaza-list', 'aria-live': 'polite' }, h('p', { class: 'loading' }, 'Loading…'));

  const sortButtons = SORTS.map((s) => h('button', {
    type: 'button', 'aria-pressed': String(s.id === sort), 'data-sort': s.id,
    onclick: () => context.navigate(`#/plaza?sort=${s.id}&page=1`),
  }, s.label));

  main.append(
    h('h1', { class: 'page-title' }, 'Sound Effects Plaza'),
    h('p', { class: 'page-lead' }, 'Community samples, publicly shared. Every prompt can be adapted.'),
    h('div', { class: 'toolbar' }, h('div', { class: 'segmented', role: 'group', 'aria-label': 'Sort' }, sortButtons),
      h('span', { class: 'spacer' }),
      context.session.user ? h('a', { class: 'button secondary small', href: '#/studio' }, 'Share from the studio')
        : h('span', { class: 'muted small' }, h('a', { href: '#/signin' }, 'Sign in'), ' to share your own.')),
    list,
  );

  async function load() {
    try {
      const data = await studioApi.plaza(sort, page);
      clear(list);
      if (!data.items.length) {
        list.append(h('div', { class: 'card empty' }, page > 1 ? 'No clips on this page.' : 'Nothing shared yet. Generate a sound in the studio and share it.'));
      } else {
        list.append(h('div', { class: 'plaza-grid' }, data.items.map((item) => plazaCard(item, context, load))));
      }
      const pages = Math.max(1, data.pages || 1);
      if (pages > 1 || page > 1) {
        list.append(h('nav', { class: 'pager', 'aria-label': 'Pages' },
          h('a', { class: 'button secondary small', href: `#/plaza?sort=${sort}&page=${page - 1}`, 'aria-disabled': String(page <= 1), hidden: page <= 1, rel: 'prev' }, '← Previous'),
          h('span', { class: 'muted' }, `Page ${page} of ${pages}`),
          h('a', { class: 'button secondary small', href: `#/plaza?sort=${sort}&page=${page + 1}`, hidden: page >= pages, rel: 'next' }, 'Next →')));
      }
    } catch (error) {
      clear(list);
      list.append(errorBox(error.message));
    }
  }
  await load();
}

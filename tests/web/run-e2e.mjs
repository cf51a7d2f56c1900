// End-to-end tests of the web studio: a real `foley serve` (tiny test model) on loopback,
// driven in Debian's headless Chromium through playwright-core. Screenshots of every page
// (and of any failure) go to --screenshots DIR, with the server's log.
//
//   node run-e2e.mjs --foley build/cli/foley [--screenshots DIR] [--model DIR] [--web-root DIR]
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FoleyServer, runCli } from './lib/server.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');

function parseArgs(argv) {
  const options = {
    foley: process.env.FOLEY_BIN || path.join(repo, 'build/cli/foley'),
    screenshots: null,
    model: path.join(repo, 'tests/data/tiny-pipeline'),
    webRoot: path.join(repo, 'web'),
    chromium: process.env.CHROMIUM || '/usr/bin/chromium',
    keep: false,
  };
  for (let i = 2; i < argv.length; i += 1) {
    const flag = argv[i];
    const value = () => argv[++i];
    if (flag === '--foley') options.foley = value();
    else if (flag === '--screenshots') options.screenshots = value();
    else if (flag === '--model') options.model = value();
    else if (flag === '--web-root') options.webRoot = value();
    else if (flag === '--chromium') options.chromium = value();
    else if (flag === '--keep') options.keep = true;
    else throw new Error(`unknown argument ${flag}`);
  }
  options.screenshots ||= path.join(path.dirname(path.dirname(options.foley)), 'web-screenshots');
  return options;
}

const SKIP = 77; // CTest SKIP_RETURN_CODE: the browser or playwright-core is not installed

async function loadPlaywright() {
  try {
    return await import('playwright-core');
  } catch {
    console.log('SKIP: playwright-core is not installed (run `npm ci` in tests/web)');
    process.exit(SKIP);
  }
}

const options = parseArgs(process.argv);
if (!existsSync(options.chromium)) {
  console.log(`SKIP: no Chromium at ${options.chromium}`);
  process.exit(SKIP);
}
const { chromium } = await loadPlaywright();

mkdirSync(options.screenshots, { recursive: true });
for (const name of readdirSync(options.screenshots)) {
  if (name.endsWith('.png') || name.endsWith('.log')) rmSync(path.join(options.screenshots, name));
}
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'foley-web-e2e-'));
const logFile = path.join(options.screenshots, 'foley-serve.log');
const server = new FoleyServer({ foley: options.foley, model: options.model, webRoot: options.webRoot, dataDir, logFile });

const ALICE = { name: 'alice', password: 'correct horse battery' };
const BOB = { name: 'bob_the_builder', password: 'can we fix it 2' };
const ADMIN = { name: 'admin', password: 'admin password 1' };
const PROMPT = 'heavy wooden door creaks open, then slams';

let browser;
let context;
let page;
const results = [];

async function shot(name, target = page) {
  // Let the transient status line fade so it does not cover the page in the picture.
  await target.waitForFunction(() => !document.querySelector('.toast.visible'), null, { timeout: 6000 }).catch(() => {});
  await target.waitForTimeout(300); // the fade-out transition
  await target.screenshot({ path: path.join(options.screenshots, `${name}.png`), fullPage: true });
}

async function step(name, fn) {
  const started = Date.now();
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (error) {
    results.push({ name, ok: false });
    console.log(`FAIL ${name}\n${error && error.stack ? error.stack : error}`);
    if (page) await shot(`failure-${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`).catch(() => {});
    throw error;
  }
}

async function newContext() {
  const ctx = await browser.newContext({ baseURL: server.url, viewport: { width: 1280, height: 860 }, deviceScaleFactor: 1 });
  await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
  return ctx;
}

async function openPage(hash) {
  await page.goto(`/${hash}`);
  await page.waitForSelector('#main > :not(.loading)');
}

async function signIn(user) {
  await openPage('#/signin');
  await page.fill('#username', user.name);
  await page.fill('#password', user.password);
  await page.click('#auth-submit');
  await page.waitForSelector(`[data-testid="account-name"]:has-text("${user.name}")`);
}

async function signOut() {
  await page.click('#sign-out');
  await page.waitForSelector('#account a[href="#/signin"]');
}

// Studio API calls from the page's own session (cookies and CSRF token from /session).
async function studioFetch(method, url, body) {
  return page.evaluate(async ({ method: m, url: u, body: b }) => {
    const session = await (await fetch('/studio/api/session')).json();
    const init = { method: m, headers: { 'X-CSRF-Token': session.csrf_token } };
    if (b !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(b);
    }
    const response = await fetch(u, init);
    return { status: response.status, body: await response.json().catch(() => null), retryAfter: response.headers.get('Retry-After') };
  }, { method, url, body });
}

function canvasInk(selector) {
  // How much of a drawn canvas differs from its first pixel: a blank canvas scores 0.
  return page.$$eval(selector, (canvases) => canvases.map((canvas) => {
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    let differing = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i] !== data[0] || data[i + 1] !== data[1] || data[i + 2] !== data[2]) differing += 1;
    }
    return differing / (data.length / 4);
  }));
}

async function apiGenerate(key) {
  const response = await fetch(`${server.url}/v1/audio/sound_effect_generate`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${key}` },
    body: JSON.stringify({ args: { prompt: 'rain on a tin roof', seed: 3 } }),
  });
  return response.status;
}

const shared = {};

async function main() {
  await step('create the first administrator from the CLI', async () => {
    const created = runCli(options.foley, ['users', 'create-admin', '--name', ADMIN.name, '--data-dir', dataDir], `${ADMIN.password}\n`);
    assert.equal(created.code, 0, created.stderr);
    const again = runCli(options.foley, ['users', 'create-admin', '--name', ADMIN.name, '--password', 'another one 1', '--data-dir', dataDir]);
    assert.notEqual(again.code, 0, 'a second account with the same name must be refused');
    const list = runCli(options.foley, ['users', 'list', '--data-dir', dataDir]);
    assert.match(list.stdout, /admin\s+yes/);
  });

  await server.start();
  browser = await chromium.launch({
    executablePath: options.chromium,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
  });
  context = await newContext();
  page = await context.newPage();
  const consoleErrors = [];
  page.on('pageerror', (error) => consoleErrors.push(String(error)));
  // Console errors other than the HTTP errors the tests provoke on purpose (401, 403, 422,
  // 429, 503 answers are logged by Chromium as "Failed to load resource"): a CSP violation
  // or a module that fails to load shows up here.
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) consoleErrors.push(message.text());
  });
  page.on('dialog', (dialog) => dialog.accept());

  await step('signed-out studio asks to sign in', async () => {
    await openPage('#/studio');
    await page.waitForSelector('#generate:has-text("Sign in to generate")');
    // The 5 s default is clamped to what the model can make (the tiny model: 0.19 s).
    await page.waitForSelector('#duration-hint:has-text("tiny-pipeline")');
    const models = await (await fetch(`${server.url}/v1/models`)).json();
    assert.equal(Number(await page.inputValue('#duration')), Math.floor(models.models[0].max_duration * 1000) / 1000);
    await shot('studio-signed-out');
  });

  await step('sign up', async () => {
    await openPage('#/signup');
    await page.fill('#username', ALICE.name);
    await page.fill('#password', 'short');
    await page.click('#auth-submit');
    await page.waitForSelector('#auth-error .alert.error:has-text("at least 8 characters")');
    await page.fill('#password', ALICE.password);
    await shot('signup');
    await page.click('#auth-submit');
    await page.waitForSelector('[data-testid="account-name"]:has-text("alice")');
    assert.match(page.url(), /#\/studio$/);
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'foley_session');
    assert.ok(session, 'session cookie set');
    assert.equal(session.httpOnly, true, 'session cookie is HttpOnly');
    assert.equal(session.sameSite, 'Lax');
  });

  await step('validation errors are shown in plain words next to the field', async () => {
    await page.fill('#prompt', '   ');
    await page.click('#generate');
    await page.waitForSelector('#generate-error .alert.error:has-text("prompt")');
    assert.equal(await page.getAttribute('#prompt', 'aria-invalid'), 'true');
    await page.fill('#prompt', PROMPT);
    await page.fill('#duration', '99');
    await page.click('#generate');
    await page.waitForSelector('#generate-error .alert.error:has-text("duration")');
    assert.equal(await page.getAttribute('#duration', 'aria-invalid'), 'true');
  });

  await step('429 and 503 are explained with the wait time', async () => {
    await page.route('**/studio/api/generate', (route) => route.fulfill({
      status: 429, headers: { 'Retry-After': '17', 'Content-Type': 'application/json' },
      body: JSON.stringify({ code: 'RATE_LIMITED', message: 'more than 10 generations in 60 seconds', request_id: 'req_x' }),
    }));
    await page.click('#generate');
    await page.waitForSelector('#generate-error .alert.error:has-text("wait 17 seconds")');
    await page.unroute('**/studio/api/generate');
    await page.route('**/studio/api/generate', (route) => route.fulfill({
      status: 503, headers: { 'Retry-After': '4', 'Content-Type': 'application/json' },
      body: JSON.stringify({ code: 'QUEUE_FULL', message: 'queue full', request_id: 'req_y' }),
    }));
    await page.click('#generate');
    await page.waitForSelector('#generate-error .alert.error:has-text("busy")');
    await page.unroute('**/studio/api/generate');
  });

  await step('generate two variants with a rolled seed, progress shown while waiting', async () => {
    // The model's own maximum (the tiny test model is 0.19 s long).
    const models = await (await fetch(`${server.url}/v1/models`)).json();
    const maxDuration = Math.floor(models.models[0].max_duration * 1000) / 1000;
    await page.fill('#duration', String(maxDuration));
    await page.click('#seed-dice');
    const seed = Number(await page.inputValue('#seed'));
    assert.ok(Number.isInteger(seed) && seed >= 0 && seed <= 2147483647, `dice gives an int32 seed, got ${seed}`);
    await page.fill('#seed', '1234');
    await page.click('#n button[data-n="2"]');
    await page.fill('#cfg', '6');
    // Hold the answer back a moment so the progress indicator can be seen.
    await page.route('**/studio/api/generate', async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 800));
      await route.continue();
    });
    await page.click('#generate');
    await page.waitForSelector('#progress[role="progressbar"]', { state: 'visible' });
    await page.waitForSelector('[data-testid="variant"] >> nth=1');
    await page.unroute('**/studio/api/generate');
    const seeds = await page.$$eval('[data-testid="variant"]', (cards) => cards.map((c) => Number(c.dataset.seed)));
    assert.deepEqual(seeds, [1234, 1235]);
    assert.equal(await page.textContent('[data-testid="variant"] .seed-chip'), 'seed 1234');
    await page.waitForFunction(() => document.querySelectorAll('canvas[data-drawn="true"]').length === 4);
    const ink = await canvasInk('[data-testid="variant"] canvas');
    for (const value of ink) assert.ok(value > 0.05, `canvas has a drawing (ink ${value})`);
  });

  await step('play a variant and download WAV and FLAC', async () => {
    const playing = await page.$eval('[data-testid="variant"] audio', async (audio) => {
      await audio.play();
      await new Promise((resolve) => setTimeout(resolve, 100));
      return { paused: audio.paused, duration: audio.duration };
    });
    assert.equal(playing.paused === false || playing.duration > 0, true, 'the player plays');
    assert.ok(playing.duration > 0.1, `audio has a duration (${playing.duration})`);
    const wav = await page.getAttribute('[data-testid="variant"] a:has-text("WAV")', 'href');
    const flac = await page.getAttribute('[data-testid="variant"] a:has-text("FLAC")', 'href');
    const wavResponse = await page.request.get(wav);
    assert.equal(wavResponse.status(), 200);
    assert.equal(wavResponse.headers()['content-type'], 'audio/wav');
    assert.equal((await wavResponse.body()).subarray(0, 4).toString(), 'RIFF');
    const flacResponse = await page.request.get(flac);
    assert.equal(flacResponse.headers()['content-type'], 'audio/flac');
    assert.equal((await flacResponse.body()).subarray(0, 4).toString(), 'fLaC');
    await shot('studio');
  });

  await step('share a variant to the Plaza', async () => {
    const responsePromise = page.waitForResponse((r) => r.url().endsWith('/studio/api/plaza') && r.request().method() === 'POST');
    await page.click('[data-testid="variant"] .share-button');
    const response = await responsePromise;
    assert.equal(response.status(), 201);
    shared.first = await response.json();
    await page.waitForSelector('[data-testid="variant"] .share-button:has-text("Shared")');
    assert.equal(shared.first.seed, 1234);
    assert.equal(shared.first.cfg, 6);
  });

  await step('the Plaza is public: seen, played and adapted signed out', async () => {
    await signOut();
    await openPage('#/plaza');
    const card = page.locator(`[data-testid="plaza-item"][data-id="${shared.first.id}"]`);
    await card.waitFor();
    assert.equal(await card.locator('.prompt').textContent(), PROMPT);
    assert.equal(await card.locator('.delete-button').count(), 0, 'no delete button for visitors');
    await card.locator('.play-button').click();
    await card.locator('.plays:has-text("1 play")').waitFor();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="plaza-item"] canvas[data-drawn="true"]').length >= 2);
    await shot('plaza');
    await card.locator('.adapt-button').click();
    await page.waitForSelector('#generate-form');
    assert.equal(await page.inputValue('#prompt'), PROMPT);
    assert.equal(await page.inputValue('#seed'), '1234');
    assert.equal(await page.inputValue('#cfg'), '6');
  });

  await step('newest and most played sorting with paging', async () => {
    await signIn(ALICE);
    // Three more shares so two pages of two exist.
    const generated = await studioFetch('POST', '/studio/api/generate', { args: { prompt: 'glass shatters on concrete', seed: 77, n: 3 } });
    assert.equal(generated.status, 200, JSON.stringify(generated.body));
    for (const clip of generated.body.clips) {
      const r = await studioFetch('POST', '/studio/api/plaza', { clip_id: clip.id });
      assert.equal(r.status, 201);
    }
    const newest = await (await fetch(`${server.url}/studio/api/plaza?sort=newest&page=1&page_size=2`)).json();
    assert.equal(newest.total, 4);
    assert.equal(newest.pages, 2);
    const popular = await (await fetch(`${server.url}/studio/api/plaza?sort=popular&page=1&page_size=2`)).json();
    assert.equal(popular.items[0].id, shared.first.id, 'the played clip leads "most played"');
    await openPage('#/plaza?sort=popular&page=1');
    assert.equal(await page.getAttribute('[data-testid="plaza-item"] >> nth=0', 'data-id'), shared.first.id);
    // Every visible card draws its previews without being played.
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="plaza-item"] canvas[data-drawn="true"]').length === 8);
    await shot('plaza-most-played');
    assert.equal(await page.getAttribute('button[data-sort="popular"]', 'aria-pressed'), 'true');
    // The pager: past the last page, then back.
    await openPage('#/plaza?sort=newest&page=2');
    await page.waitForSelector('#plaza-list .empty:has-text("No clips on this page")');
    await page.click('.pager a[rel="prev"]');
    await page.waitForSelector('[data-testid="plaza-item"]');
    assert.equal(await page.locator('[data-testid="plaza-item"]').count(), 4);
    const bad = await fetch(`${server.url}/studio/api/plaza?sort=oldest`);
    assert.equal(bad.status, 400);
  });

  await step('only the owner (or an administrator) can delete', async () => {
    const newest = await (await fetch(`${server.url}/studio/api/plaza?sort=newest`)).json();
    const victim = newest.items.find((item) => item.id !== shared.first.id);
    await signOut();
    await openPage('#/signup');
    await page.fill('#username', BOB.name);
    await page.fill('#password', BOB.password);
    await page.click('#auth-submit');
    await page.waitForSelector(`[data-testid="account-name"]:has-text("${BOB.name}")`);
    await openPage('#/plaza');
    assert.equal(await page.locator('.delete-button').count(), 0, 'bob owns nothing');
    const refused = await studioFetch('DELETE', `/studio/api/plaza/${victim.id}`);
    assert.equal(refused.status, 403);
    await signOut();
    await signIn(ALICE);
    await openPage('#/plaza');
    const card = page.locator(`[data-testid="plaza-item"][data-id="${victim.id}"]`);
    await card.locator('.delete-button').click();
    await card.waitFor({ state: 'detached' });
    shared.deleted = victim.id;
    assert.equal((await fetch(`${server.url}/studio/api/plaza/${victim.id}/audio`)).status, 404);
  });

  await step('create an API key, copy it, use it, revoke it, see the API refuse it', async () => {
    await openPage('#/keys');
    await page.fill('#key-name', 'e2e key');
    await page.selectOption('#key-expiry', '7');
    await page.click('#create-key');
    const key = (await page.textContent('#new-key-value')).trim();
    assert.match(key, /^fk_[0-9a-f]{12}_/);
    await page.click('#new-key .copy-button');
    await page.waitForSelector('#new-key .copy-button:has-text("Copied")');
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), key);
    const row = page.locator('[data-testid="key-row"]', { hasText: 'e2e key' });
    assert.equal(await row.locator('.status-active').count(), 1);
    assert.notEqual(await apiGenerate(key), 401, 'the new key is accepted by the API');
    await shot('keys');
    await row.locator('.revoke-button').click();
    await row.locator('.status-revoked').waitFor();
    assert.equal(await apiGenerate(key), 401, 'a revoked key is refused');
    await page.reload();
    await page.waitForSelector('#key-list table');
    assert.equal(await page.locator('#new-key-value').count(), 0, 'the key is shown once');
  });

  await step('integration page: copy-to-prompt text and scaffolds', async () => {
    await openPage('#/integrate');
    const expected = await (await fetch(`${server.url}/v1/integration-prompt`)).text();
    await page.waitForFunction(() => !document.querySelector('#integration-prompt').textContent.startsWith('Loading'));
    assert.equal(await page.textContent('#integration-prompt'), expected);
    assert.match(await page.textContent('#prompt-tokens'), /tokens/);
    await page.click('button:has-text("Copy prompt")');
    await page.waitForSelector('button:has-text("Copied")');
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), expected);
    await page.waitForFunction(() => !document.querySelector('#scaffold-python').textContent.startsWith('Loading'));
    assert.ok((await page.textContent('#scaffold-typescript')).length > 200, 'TypeScript scaffold');
    await page.click('#tab-python');
    assert.ok(await page.isVisible('#scaffold-python'));
    assert.match(await page.textContent('#scaffold-python'), /def |import /);
    await shot('integrate');
  });

  await step('keyboard: skip link, nav and the generator work without a mouse', async () => {
    await page.goto('about:blank');
    await page.goto(`${server.url}/#/plaza`);
    await page.waitForSelector('[data-testid="plaza-item"]');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.className), 'skip-link');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'main');
    await openPage('#/studio');
    await page.fill('#seed', '');
    await page.focus('#seed-dice');
    await page.keyboard.press('Enter');
    assert.notEqual(await page.inputValue('#seed'), '');
    await page.focus('#n button[data-n="1"]');
    await page.keyboard.press('Space');
    assert.equal(await page.getAttribute('#n button[data-n="1"]', 'aria-pressed'), 'true');
    await page.fill('#prompt', '雨打在铁皮屋顶上');
    await page.focus('#prompt');
    await page.keyboard.press('Control+Enter');
    await page.waitForSelector('[data-testid="variant"] canvas[data-drawn="true"]');
    assert.equal(await page.locator('[data-testid="variant"]').count(), 1);
  });

  await step('responsive layout on a phone-sized screen', async () => {
    const phone = await browser.newContext({ baseURL: server.url, viewport: { width: 390, height: 844 }, deviceScaleFactor: 1 });
    const small = await phone.newPage();
    await small.goto('/#/plaza');
    await small.waitForSelector('[data-testid="plaza-item"]');
    const overflow = await small.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `no horizontal scrolling (overflow ${overflow}px)`);
    await small.click('#menu-toggle');
    assert.ok(await small.isVisible('.site-nav a[href="#/keys"]'));
    await shot('plaza-phone', small);
    await phone.close();
  });

  await step('the page is served with a strict content security policy', async () => {
    const response = await fetch(`${server.url}/`);
    assert.equal(response.status, 200);
    const csp = response.headers.get('content-security-policy') || '';
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    for (const asset of ['/js/app.js', '/css/app.css', '/favicon.svg']) {
      assert.equal((await fetch(`${server.url}${asset}`)).status, 200, asset);
    }
    assert.equal((await fetch(`${server.url}/js/../../CMakeLists.txt`)).status, 404);
  });

  await step('replaying a clip does not inflate its play count', async () => {
    const before = (await studioFetch('POST', `/studio/api/plaza/${shared.first.id}/play`)).body.plays;
    const again = (await studioFetch('POST', `/studio/api/plaza/${shared.first.id}/play`)).body.plays;
    assert.equal(again, before);
  });

  await step('CSRF: state-changing requests without the token are refused', async () => {
    const result = await page.evaluate(async () => {
      const r = await fetch('/studio/api/keys', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'x', expires_in_days: 7 }) });
      return r.status;
    });
    assert.equal(result, 403);
    const crossOrigin = await fetch(`${server.url}/studio/api/signin`, {
      method: 'POST', headers: { 'Content-Type': 'application/json', Origin: 'http://evil.example', 'X-CSRF-Token': 'x' },
      body: JSON.stringify({ username: 'alice', password: ALICE.password }),
    });
    assert.equal(crossOrigin.status, 403);
  });

  await step('the administrator from the CLI signs in, may delete anything, and is rate limited like everyone', async () => {
    await signOut();
    await signIn(ADMIN);
    assert.match(await page.textContent('[data-testid="account-name"]'), /admin/);
    await openPage('#/plaza');
    await page.waitForSelector('[data-testid="plaza-item"]');
    assert.equal(await page.locator('.delete-button').count(), await page.locator('[data-testid="plaza-item"]').count());
    // The studio shares the API's limit (10 per 60 s per identity); invalid requests count too.
    let last;
    for (let i = 0; i < 11; i += 1) last = await studioFetch('POST', '/studio/api/generate', { args: { prompt: '' } });
    assert.equal(last.status, 429);
    assert.equal(last.body.code, 'RATE_LIMITED');
    assert.ok(Number(last.retryAfter) > 0);
    await openPage('#/studio');
    await page.fill('#prompt', 'wind through pines');
    await page.click('#generate');
    await page.waitForSelector('#generate-error .alert.error:has-text("Please wait")');
  });

  await step('sign-in is throttled after repeated failures', async () => {
    await signOut();
    for (let i = 0; i < 5; i += 1) {
      const r = await studioFetch('POST', '/studio/api/signin', { username: BOB.name, password: `wrong ${i}` });
      assert.equal(r.status, 401);
    }
    const locked = await studioFetch('POST', '/studio/api/signin', { username: BOB.name, password: BOB.password });
    assert.equal(locked.status, 429, 'even the right password waits');
    assert.ok(Number(locked.retryAfter) > 0);
    await openPage('#/signin');
    await page.fill('#username', BOB.name);
    await page.fill('#password', BOB.password);
    await page.click('#auth-submit');
    await page.waitForSelector('#auth-error .alert.error:has-text("wait")');
  });

  await step('the Plaza survives a restart', async () => {
    await signIn(ALICE);
    const before = await (await fetch(`${server.url}/studio/api/plaza?page_size=48`)).json();
    const audioBefore = Buffer.from(await (await fetch(`${server.url}${shared.first.audio_url}`)).arrayBuffer());
    await server.stop('SIGTERM');
    await server.start();
    const after = await (await fetch(`${server.url}/studio/api/plaza?page_size=48`)).json();
    assert.deepEqual(after.items.map((i) => [i.id, i.plays]), before.items.map((i) => [i.id, i.plays]));
    const audioAfter = Buffer.from(await (await fetch(`${server.url}${shared.first.audio_url}`)).arrayBuffer());
    assert.ok(audioAfter.equals(audioBefore), 'same FLAC bytes after restart');
    // The browser's session survives too (sessions live in the database).
    await openPage('#/plaza');
    await page.reload();
    await page.waitForSelector('[data-testid="account-name"]:has-text("alice")');
  });

  await step('kill -9 while sharing loses nothing committed and leaves no debris', async () => {
    const plazaDir = path.join(dataDir, 'plaza');
    const clipIds = [];
    for (let round = 0; round < 2; round += 1) {
      const generated = await studioFetch('POST', '/studio/api/generate', { args: { prompt: `thunder ${round}`, n: 4 } });
      assert.equal(generated.status, 200, JSON.stringify(generated.body));
      clipIds.push(...generated.body.clips.map((c) => c.id));
    }
    const cookieHeader = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
    const csrf = (await studioFetch('GET', '/studio/api/session')).body.csrf_token;
    const committed = [];
    let killed = false;
    const shares = clipIds.map(async (id) => {
      try {
        const r = await fetch(`${server.url}/studio/api/plaza`, {
          method: 'POST', headers: { 'Content-Type': 'application/json', Cookie: cookieHeader, 'X-CSRF-Token': csrf },
          body: JSON.stringify({ clip_id: id }),
        });
        if (r.status === 201) committed.push((await r.json()).id);
      } catch {
        // connection cut by the kill: not committed as far as the client knows
      }
      if (!killed) {
        killed = true;
        server.child.kill('SIGKILL'); // right after the first answer, others still in flight
      }
    });
    await Promise.all(shares);
    await server.exited;
    assert.ok(committed.length >= 1);
    console.log(`     ${committed.length} of ${clipIds.length} shares answered 201 before the kill`);
    // Debris a crash could leave: a temporary and an audio file whose row never committed.
    writeFileSync(path.join(plazaDir, '.0123456789abcdef.flac.abcdef.tmp'), 'partial');
    writeFileSync(path.join(plazaDir, '0123456789abcdef.flac'), 'fLaC orphan');
    await server.start();
    const list = await (await fetch(`${server.url}/studio/api/plaza?page_size=48`)).json();
    const listed = new Set(list.items.map((i) => i.id));
    for (const id of committed) {
      assert.ok(listed.has(id), `committed share ${id} survived`);
      const audio = Buffer.from(await (await fetch(`${server.url}/studio/api/plaza/${id}/audio`)).arrayBuffer());
      assert.equal(audio.subarray(0, 4).toString(), 'fLaC', `share ${id} has its whole audio`);
    }
    const files = readdirSync(plazaDir);
    assert.deepEqual(files.filter((f) => f.endsWith('.tmp')), [], 'no temporaries after startup');
    assert.equal(files.filter((f) => f.endsWith('.flac')).length, list.total, 'one audio file per row, no orphans');
    for (const item of list.items) {
      const audio = Buffer.from(await (await fetch(`${server.url}${item.audio_url}`)).arrayBuffer());
      assert.equal(audio.subarray(0, 4).toString(), 'fLaC');
    }
  });

  await step('no script errors on any page', async () => {
    assert.deepEqual(consoleErrors, []);
  });
}

let failed = false;
try {
  await main();
} catch {
  failed = true;
} finally {
  if (browser) await browser.close().catch(() => {});
  await server.stop().catch(() => {});
  if (!options.keep) rmSync(dataDir, { recursive: true, force: true });
}
const passed = results.filter((r) => r.ok).length;
console.log(`\n${passed}/${results.length} steps passed; screenshots and server log in ${options.screenshots}`);
process.exit(failed ? 1 : 0);

// The generator's form values survive navigation (and signing in) in sessionStorage, and
// the Plaza's "adapt" button writes them here before opening the studio.
const KEY = 'foley.studio.form';

export const DEFAULT_FORM = {
  prompt: '',
  negative_prompt: '',
  cfg: 4.5,
  seed: '',
  n: 1,
  duration: 5,
  steps: '',
};

export function loadForm() {
  try {
    const stored = JSON.parse(sessionStorage.getItem(KEY) || 'null');
    return { ...DEFAULT_FORM, ...(stored && typeof stored === 'object' ? stored : {}) };
  } catch {
    return { ...DEFAULT_FORM };
  }
}

export function saveForm(values) {
  try {
    sessionStorage.setItem(KEY, JSON.stringify(values));
  } catch {
    // Storage full or disabled: the form still works, it just will not be remembered.
  }
}

export function randomSeed() {
  const buffer = new Uint32Array(1);
  crypto.getRandomValues(buffer);
  return buffer[0] % 2147483648; // non-negative int32: easier to read and retype
}

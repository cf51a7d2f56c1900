// How web/js/api.js finds the field an error message is about (it highlights that input).
import assert from 'node:assert/strict';
import test from 'node:test';
import { fieldFromMessage } from '../../../web/js/api.js';

test('fields are found in the server messages of the studio and the API', () => {
  assert.equal(fieldFromMessage('args.cfg must be between 0 and 10'), 'cfg');
  assert.equal(fieldFromMessage("field 'args.duration' must be at least 0.5 seconds, got 0.1"), 'duration');
  assert.equal(fieldFromMessage('args.negative_prompt must be a string'), 'negative_prompt');
  assert.equal(fieldFromMessage('args.prompt must not be empty: describe the sound'), 'prompt');
  assert.equal(fieldFromMessage('password must be at least 8 characters long'), 'password');
  assert.equal(fieldFromMessage('the queue is full'), null);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chunkByWords, lexicalOnlyEmbedder } from '../../../src/engine/index/wordChunker';

test('passages cover the text, cut at whitespace, and overlap', () => {
  const text = Array.from({ length: 300 }, (_, i) => `word${i}`).join(' ');
  const chunks = chunkByWords(text, { chars: 200, overlap: 40 });
  assert.ok(chunks.length > 5);
  assert.equal(chunks[0].start, 0);
  assert.equal(chunks.at(-1)!.end, text.length);
  for (const c of chunks) {
    assert.ok(c.end - c.start <= 200);
    assert.ok(c.start === 0 || /\s/.test(text[c.start - 1]), 'starts at a word');
    assert.ok(c.end === text.length || /\s/.test(text[c.end]), 'ends at a word');
    assert.ok(c.tokens > 0);
  }
  for (let i = 1; i < chunks.length; i++) assert.ok(chunks[i].start < chunks[i - 1].end, 'consecutive passages overlap');
});

test('a megabyte line without spaces is cut hard and terminates', () => {
  const text = 'x'.repeat(1_000_000);
  const chunks = chunkByWords(text, { chars: 1200, overlap: 200 });
  assert.equal(chunks.at(-1)!.end, text.length);
  assert.ok(chunks.length >= 800 && chunks.length <= 1001);
});

test('surrogate pairs are never split', () => {
  const text = '😀'.repeat(500);
  for (const c of chunkByWords(text, { chars: 101, overlap: 10 })) {
    assert.ok(!/[\uDC00-\uDFFF]/.test(text[c.start]), 'no passage starts inside a pair');
    assert.ok(!/[\uD800-\uDBFF]/.test(text[c.end - 1]), 'no passage ends inside a pair');
  }
});

test('empty and whitespace-only text give no passages', () => {
  assert.deepEqual(chunkByWords(''), []);
  assert.deepEqual(chunkByWords(' \n\t  '), []);
});

test('the lexical-only embedder refuses to embed', async () => {
  const e = lexicalOnlyEmbedder();
  assert.equal(e.demo, true);
  await assert.rejects(e.embed(['a']), /lexical only/);
});

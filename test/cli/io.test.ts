import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { CliInputError, parseArgs, readJsonLines, textField } from '../../src/cli/io';

async function collect(input: Buffer | string) {
  const out: Array<{ value: Record<string, unknown>; line: number }> = [];
  for await (const r of readJsonLines(Readable.from([typeof input === 'string' ? Buffer.from(input) : input]))) out.push(r);
  return out;
}

test('JSON lines are read with their line numbers; blank lines and CRLF are fine', async () => {
  const r = await collect('{"text":"a"}\r\n\n{"text":""}');
  assert.deepEqual(r.map((x) => x.line), [1, 3]);
  assert.equal(textField(r[1].value, r[1].line), '');
});

test('malformed JSON names its line', async () => {
  await assert.rejects(collect('{"text":"a"}\n{"text": oops}\n'), (e: unknown) => e instanceof CliInputError && /^line 2: not valid JSON/.test(e.message));
  await assert.rejects(collect('[1,2]\n'), /line 1: expected a JSON object/);
});

test('bytes that are not UTF-8 are rejected clearly', async () => {
  const latin1 = Buffer.concat([Buffer.from('{"text":"ok"}\n{"text":"caf'), Buffer.from([0xe9]), Buffer.from('"}\n')]);
  await assert.rejects(collect(latin1), /line 2: input is not valid UTF-8/);
});

test('a missing or non-string text field is a clear error', () => {
  assert.throws(() => textField({ text: 3 }, 4), /line 4: "text" must be a string/);
  assert.throws(() => textField({}, 1), /line 1/);
});

test('arguments: values, =values, switches and missing values', () => {
  const p = parseArgs(['DIR', '--model', 'm', '--k=5', '--json'], ['json']);
  assert.deepEqual(p.positional, ['DIR']);
  assert.equal(p.flags.get('model'), 'm');
  assert.equal(p.flags.get('k'), '5');
  assert.equal(p.flags.get('json'), true);
  assert.throws(() => parseArgs(['--model']), /--model needs a value/);
});

test('a line that is not JSON is reported by line and position, never quoting the note text', async () => {
  const note = 'Pt denies chest pain, HIV positive';
  const malformed = [note, `{"text":"${note}"`, `{"text": ${note}}`, `{"text":"${note}"} trailing`, `{"text":"${note}}`, `'${note}'`];
  for (const line of malformed) {
    await assert.rejects(collect(`{"text":"ok"}\n${line}\n`), (e: unknown) => {
      assert.ok(e instanceof CliInputError);
      assert.match(e.message, /^line 2: not valid JSON/);
      for (const word of ['Pt', 'denies', 'chest', 'HIV', 'text']) assert.ok(!e.message.includes(word), `"${word}" leaked into: ${e.message}`);
      return true;
    });
  }
});

/**
 * The CLI's input and output: JSON lines on stdin and stdout, one clear line on
 * stderr for bad input with exit code 2.
 */

export interface CliIo {
  stdin: NodeJS.ReadableStream;
  out(line: string): void;
  err(line: string): void;
}

export const processIo: CliIo = {
  stdin: process.stdin,
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
};

/** Bad input or usage: the CLI prints the message and exits with code 2. */
export class CliInputError extends Error {
  readonly exitCode = 2;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads stdin as JSON lines, line by line, rejecting bytes that are not UTF-8
 * and lines that are not JSON objects, naming the line. Blank lines are skipped.
 */
export async function* readJsonLines(stdin: NodeJS.ReadableStream): AsyncGenerator<{ value: Record<string, unknown>; line: number }> {
  let pending: Buffer = Buffer.alloc(0);
  let lineNo = 0;
  const parse = (bytes: Buffer): { value: Record<string, unknown>; line: number } | undefined => {
    lineNo++;
    let text: string;
    try {
      text = utf8.decode(bytes);
    } catch {
      throw new CliInputError(`line ${lineNo}: input is not valid UTF-8`);
    }
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (lineNo === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (text.trim() === '') return undefined;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw new CliInputError(`line ${lineNo}: ${jsonProblem(e)}`);
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new CliInputError(`line ${lineNo}: expected a JSON object`);
    return { value: value as Record<string, unknown>, line: lineNo };
  };
  for await (const chunk of stdin) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    pending = pending.length ? Buffer.concat([pending, buf]) : buf;
    let nl: number;
    while ((nl = pending.indexOf(0x0a)) >= 0) {
      const r = parse(pending.subarray(0, nl));
      pending = pending.subarray(nl + 1);
      if (r) yield r;
    }
  }
  if (pending.length) {
    const r = parse(pending);
    if (r) yield r;
  }
}

/**
 * What is wrong with a line that is not JSON, without quoting it: V8's message
 * carries up to ~20 characters of the input, which would be note text on stderr.
 * Only the position (a number) is kept.
 */
export function jsonProblem(e: unknown): string {
  const message = e instanceof Error ? e.message : '';
  if (/unexpected end of json input|unterminated string/i.test(message)) return 'not valid JSON (the line ends inside a value; is a quote or brace missing?)';
  const at = /at position (\d+)/.exec(message);
  return at ? `not valid JSON (at character ${Number(at[1]) + 1})` : 'not valid JSON';
}

/** The "text" field of a JSON line, which must be a string (empty allowed). */
export function textField(value: Record<string, unknown>, line: number, field = 'text'): string {
  const t = value[field];
  if (typeof t !== 'string') throw new CliInputError(`line ${line}: "${field}" must be a string`);
  return t;
}

/** The engine's common options (cmb --help), each with one value: every command that loads a model takes them. */
export const ENGINE_OPTIONS: readonly string[] = ['provider', 'precision', 'threads', 'window', 'stride', 'batch', 'batch-tokens', 'pooling', 'cache'];

export interface ParsedArgs {
  positional: string[];
  flags: Map<string, string | true>;
}

/** --name value, --name=value and bare --switch (listed in `switches`). */
export function parseArgs(args: readonly string[], switches: readonly string[] = []): ParsedArgs {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq > 0) flags.set(a.slice(2, eq), a.slice(eq + 1));
      else if (switches.includes(a.slice(2))) flags.set(a.slice(2), true);
      else {
        const v = args[i + 1];
        if (v === undefined || v.startsWith('--')) throw new CliInputError(`${a} needs a value`);
        flags.set(a.slice(2), v);
        i++;
      }
    } else positional.push(a);
  }
  return { positional, flags };
}

export function stringFlag(p: ParsedArgs, name: string): string | undefined {
  const v = p.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}

export function requireFlag(p: ParsedArgs, name: string, what: string): string {
  const v = stringFlag(p, name);
  if (!v) throw new CliInputError(`--${name} ${what} is required`);
  return v;
}

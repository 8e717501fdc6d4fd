/**
 * `cmb download REPO_ID [--revision REV] [--out DIR]`: a model from the
 * Hugging Face Hub (HF_ENDPOINT for a mirror, HF_TOKEN for gated or private
 * repositories, HTTPS_PROXY / NO_PROXY honoured). One JSON line on stdout;
 * progress on stderr. Ctrl-C stops cleanly and the next run resumes.
 */
import { downloadModel } from '../engine/model/download/downloadModel';
import { cliStorageDir } from '../engine/storageDir';
import { CliInputError, parseArgs, stringFlag, type CliIo } from './io';

const USAGE = 'cmb download REPO_ID [--revision REV] [--out DIR]';

export async function runDownload(args: string[], io: CliIo, opts: { tty?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<number> {
  const p = parseArgs(args);
  for (const name of p.flags.keys()) if (name !== 'revision' && name !== 'out') throw new CliInputError(`unknown option --${name} (${USAGE})`);
  if (p.positional.length !== 1) throw new CliInputError(`${p.positional.length ? 'one repository at a time' : 'a repository id is required, e.g. Simonlee711/Clinical_ModernBERT'} (${USAGE})`);
  const env = opts.env ?? process.env;
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  let lastLine = 0;
  let lastMessage = '';
  try {
    const r = await downloadModel(
      { repo: p.positional[0]!, revision: stringFlag(p, 'revision'), out: stringFlag(p, 'out') },
      {
        storageDir: cliStorageDir(env),
        env,
        signal: controller.signal,
        progress: ({ message }) => {
          if (opts.tty) {
            process.stderr.write(`\r\x1b[K${message}`);
            return;
          }
          // a log, not a terminal: a line per file and one every 10 s, nothing before the first file
          if (!/^\S.* \(\d+\/\d+\): /.test(message)) return;
          const file = message.split(':')[0];
          const now = Date.now();
          if (file !== lastMessage.split(':')[0] || now - lastLine > 10_000) {
            io.err(message);
            lastLine = now;
          }
          lastMessage = message;
        },
      },
    );
    if (opts.tty) process.stderr.write('\r\x1b[K');
    io.out(JSON.stringify(r));
    io.err(`Use it: cmb info --model ${r.dir}`);
    return 0;
  } finally {
    if (opts.tty) process.stderr.write('\r\x1b[K');
    process.removeListener('SIGINT', onSigint);
  }
}

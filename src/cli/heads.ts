/**
 * `cmb heads --model DIR`: the task heads in the model folder's heads/, as one
 * JSON document, without loading the encoder. Broken heads are listed with
 * the error that keeps them from loading; a head trained on another encoder
 * carries a warning.
 */
import { inspectModelFolder } from '../engine/model/folder';
import { headTaskName, inspectHeads } from '../engine/model/headFolder';
import { CliInputError, parseArgs, requireFlag, type CliIo } from './io';

export async function runHeads(args: string[], io: CliIo): Promise<number> {
  const p = parseArgs(args);
  for (const name of p.flags.keys()) if (name !== 'model') throw new CliInputError(`unknown option --${name} (cmb heads --model DIR)`);
  const folder = inspectModelFolder(requireFlag(p, 'model', 'DIR (a model folder)'), { acceptVocabTxt: true });
  const { heads, problems } = inspectHeads(folder);
  const listed = [
    ...heads.map((h) => ({
      name: h.name,
      task: headTaskName[h.task],
      architecture: h.spec.architecture,
      ...(h.task === 'sequence' ? { pooling: h.spec.pooling } : {}),
      labels: h.labels,
      ...(h.createdBy ? { created_by: h.createdBy } : {}),
      ...(h.metrics ? { metrics: h.metrics } : {}),
      ...(h.warning ? { warning: h.warning } : {}),
      ...(h.demo ? { demo: true } : {}),
    })),
    ...problems.map((e) => ({ name: e.name, error: { code: e.code, message: e.message } })),
  ].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  io.out(JSON.stringify({ model: folder.dir, heads: listed }, null, 2));
  return 0;
}

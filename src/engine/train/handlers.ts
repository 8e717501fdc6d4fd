/**
 * The training domain's handlers: train.run, train.evaluate, train.report.
 * Training runs in the engine worker like inference; its progress events
 * carry `training` (epoch, loss, dev score, ETA) and a cancel leaves nothing.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EngineError } from '../errors';
import type { Handlers } from '../handlers';
import type { EngineHost } from '../host';
import { checkHeadName, HEADS_DIR } from '../model/headFolder';
import { evaluateHead } from './evaluate';
import { trainingReportMarkdown } from './report';
import { METRICS_FILE, trainHead } from './trainer';
import type { TrainingMetrics, TrainMethods } from './protocol';

/** A head's metrics.json, or a clear error when the head was not trained here. */
export function readTrainingMetrics(modelDir: string, head: string): TrainingMetrics {
  checkHeadName(head);
  const file = path.join(modelDir, HEADS_DIR, head, METRICS_FILE);
  if (!fs.existsSync(file)) throw new EngineError('bad-input', `The head "${head}" has no ${METRICS_FILE} (it was not trained with cmb train, or does not exist).`);
  try {
    const m = JSON.parse(fs.readFileSync(file, 'utf8')) as TrainingMetrics;
    if (m.format !== 'cmb-training-metrics') throw new Error('not a training metrics file');
    return m;
  } catch (e) {
    throw new EngineError('bad-config', `${file} cannot be read (${(e as Error).message}).`);
  }
}

export function createTrainHandlers(host: EngineHost): Handlers<TrainMethods> {
  return {
    'train.run': async (params, ctx) =>
      trainHead(params, { model: host.model(), storageDir: host.storageDir(), signal: ctx.signal, progress: (p) => ctx.progress(p), log: (l, m) => host.log(l, m) }),
    'train.evaluate': async (params, ctx) => evaluateHead(params, { model: host.model(), signal: ctx.signal, progress: (p) => ctx.progress(p) }),
    'train.report': async ({ head }) => {
      const metrics = readTrainingMetrics(host.model().info.path, head);
      return { markdown: trainingReportMarkdown(metrics), metrics };
    },
  };
}

/**
 * The fine-tune domain's handlers: finetune.prepare (the companion's input
 * file) and finetune.verify (conversion, parity, the engine's test figures).
 * Neither needs the loaded model: both work on the folders they are given.
 */
import type { Handlers } from '../handlers';
import type { EngineHost } from '../host';
import { prepareFinetuneData } from './prepare';
import { verifyFinetune } from './verify';
import type { FinetuneMethods } from './protocol';

export function createFinetuneHandlers(host: EngineHost): Handlers<FinetuneMethods> {
  return {
    'finetune.prepare': async (params, ctx) => prepareFinetuneData(params, { signal: ctx.signal, log: (l, m) => host.log(l, m) }),
    'finetune.verify': async (params, ctx) => verifyFinetune(params, { signal: ctx.signal, progress: (p) => ctx.progress(p), log: (l, m) => host.log(l, m) }),
  };
}

/** Handlers of the download methods: the Hub client runs in the engine, with the request's cancel signal. */
import type { Handlers } from '../../handlers';
import type { EngineHost } from '../../host';
import { downloadModel } from './downloadModel';
import { listDownloadedModels } from './manifest';
import type { DownloadMethods } from './protocol';

export function createDownloadHandlers(host: EngineHost): Handlers<DownloadMethods> {
  return {
    'model.download': (req, ctx) =>
      downloadModel(req, {
        storageDir: host.storageDir(),
        signal: ctx.signal,
        progress: (p) => ctx.progress(p),
        log: (level, message) => host.log(level, message),
      }),
    'model.downloaded': async () => listDownloadedModels(host.storageDir()),
  };
}

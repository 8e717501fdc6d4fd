/** Handlers of the GPU methods: diagnosis (optionally with a probe session) and CUDA setup, in the engine. */
import type { Handlers } from '../../handlers';
import type { EngineHost } from '../../host';
import { diagnoseGpu } from './diagnose';
import { loadedOrtDir } from './ortRuntime';
import { probeProvider } from './probe';
import { installCudaProvider } from './provision';
import type { GpuMethods } from './protocol';

export function createGpuHandlers(host: EngineHost): Handlers<GpuMethods> {
  return {
    'gpu.diagnose': ({ probe }) => diagnoseGpu({ storageDir: host.storageDir(), probe: probe ? probeProvider : undefined }),
    'gpu.install': async (req, ctx) => {
      const r = await installCudaProvider(req, { storageDir: host.storageDir(), signal: ctx.signal, progress: (p) => ctx.progress(p), log: (l, m) => host.log(l, m) });
      const loaded = loadedOrtDir();
      return { ...r, reloadNeeded: !!loaded && loaded !== r.dir };
    },
  };
}

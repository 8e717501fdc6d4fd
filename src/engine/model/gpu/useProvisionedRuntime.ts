/**
 * Imported before onnxruntime-node (session.ts does): when CUDA has been set
 * up in storage for this onnxruntime-node version, this thread loads that
 * copy of the runtime (ortRuntime.ts says why). The engine worker gets its
 * storage folder from the extension; the CLI uses CMB_STORAGE_DIR or
 * ~/.cache/clinical-modernbert. CMB_ORT_RUNTIME=bundled keeps the bundled one.
 */
import { isMainThread, workerData } from 'node:worker_threads';
import { cliStorageDir } from '../../storageDir';
import { selectOrtRuntime } from './ortRuntime';

const fromExtension = !isMainThread ? (workerData as { storageDir?: unknown } | undefined)?.storageDir : undefined;
if (process.env.CMB_ORT_RUNTIME !== 'bundled') selectOrtRuntime(typeof fromExtension === 'string' ? fromExtension : cliStorageDir());

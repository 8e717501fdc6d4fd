/**
 * onnxruntime-node 1.30's Linux library carries Microsoft's telemetry client: a
 * process that creates a session writes /tmp/mat-debug-<pid>.log, keeps an event
 * database under ~/.cache/Microsoft/DeveloperTools/.onnxruntime/ (model file
 * names, graph names, CPU, OS) and, about 10 s later, looks up an
 * events.data.microsoft.com host. The library reads ORT_DISABLE_TELEMETRY from
 * the *process* environment, so it must be set by the main thread before the
 * native library is loaded: a worker thread's process.env is a private copy that
 * never reaches getenv(). Import this module before onnxruntime-node, and call
 * disableOnnxRuntimeTelemetry() before starting the engine worker.
 * docs/privacy.md records what each platform does.
 */
import { isMainThread } from 'node:worker_threads';

export const TELEMETRY_ENV = 'ORT_DISABLE_TELEMETRY';

export function disableOnnxRuntimeTelemetry(env: NodeJS.ProcessEnv = process.env): void {
  env[TELEMETRY_ENV] = '1';
}

if (isMainThread) disableOnnxRuntimeTelemetry();
// A worker inherits a copy of its parent's environment when it starts: without
// the variable there, the library would report, so refuse to go on (fail closed).
else if (process.env[TELEMETRY_ENV] !== '1') {
  throw new Error(`${TELEMETRY_ENV}=1 must be set by the main thread before the engine worker starts (engineClient.ts does).`);
}

/**
 * Where the CLI keeps what it writes (code sets, indexes, downloaded models,
 * GPU libraries) when CMB_STORAGE_DIR does not say: ~/.cache/clinical-modernbert.
 * The extension passes VS Code's global storage instead.
 */
import * as os from 'node:os';
import * as path from 'node:path';

export function cliStorageDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.CMB_STORAGE_DIR || path.join(os.homedir(), '.cache', 'clinical-modernbert');
}

/**
 * One typed view of the extension's settings. Features read settings here and
 * nowhere else.
 */
import * as vscode from 'vscode';
import { defaultEngineSettings, type EngineSettings, type Pooling, type ProviderSetting } from './engine/coreProtocol';

export const SECTION = 'clinicalModernbert';

export interface Config {
  /** '' when unset */
  modelPath: string;
  engine: EngineSettings;
}

export function readConfig(): Config {
  const c = vscode.workspace.getConfiguration(SECTION);
  return {
    modelPath: c.get<string>('modelPath', '').trim(),
    engine: {
      executionProvider: c.get<ProviderSetting>('executionProvider', defaultEngineSettings.executionProvider),
      windowTokens: c.get<number>('windowTokens', defaultEngineSettings.windowTokens),
      windowStride: c.get<number>('windowStride', defaultEngineSettings.windowStride),
      batchSize: c.get<number>('batchSize', defaultEngineSettings.batchSize),
      threads: c.get<number>('threads', defaultEngineSettings.threads),
      pooling: c.get<Pooling>('pooling', defaultEngineSettings.pooling),
      cacheDir: '',
      tokenHead: c.get<string>('tokenHead', '').trim(),
      sequenceHead: c.get<string>('sequenceHead', '').trim(),
    },
  };
}

/** true when a change event touches any of the given settings (names without the section). */
export function affects(e: vscode.ConfigurationChangeEvent, ...names: string[]): boolean {
  return names.some((n) => e.affectsConfiguration(`${SECTION}.${n}`));
}

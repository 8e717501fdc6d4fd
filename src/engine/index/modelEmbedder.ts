/**
 * Adapts the loaded model to the index: passages are the model's token windows
 * (so a passage always fits the model), vectors come from the engine's embed.
 */
import { statSync } from 'node:fs';
import type { EngineSettings } from '../coreProtocol';
import type { LoadedModel } from '../host';
import type { ChunkEmbedder } from './embedder';

/** embeds texts with the loaded model: one L2-normalised vector per text (the core `embed` method) */
export type EmbedTexts = (texts: string[], signal?: AbortSignal) => Promise<Float32Array[]>;

export function modelEmbedder(model: LoadedModel, settings: EngineSettings, embed: EmbedTexts): ChunkEmbedder {
  const info = model.info;
  return {
    fingerprint: modelFingerprint(model, settings),
    dims: info.hidden,
    demo: info.demo,
    source: info.path,
    chunk: (text) =>
      model
        .windows(text)
        .filter((w) => w.charEnd > w.charStart)
        .map((w) => ({ start: w.charStart, end: w.charEnd, tokens: w.tokenEnd - w.tokenStart })),
    embed,
  };
}

/** changes when the weights, the windows or the pooling change */
export function modelFingerprint(model: LoadedModel, settings: EngineSettings): string {
  const info = model.info;
  let weights = '';
  try {
    const st = statSync(info.onnxPath);
    weights = `${st.size}:${Math.round(st.mtimeMs)}`;
  } catch {
    // the session is already loaded; a missing file only weakens change detection
  }
  return ['model', info.path, info.onnxPath, weights, info.architecture, info.hidden, info.windowTokens, settings.windowStride, settings.pooling].join('|');
}

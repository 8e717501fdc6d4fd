/**
 * The search methods as an engine domain: the loaded model's windows and
 * embeddings feed the index; without a model the index is lexical only.
 */
import type { EngineHost } from '../host';
import { embedTexts } from '../tasks/embed';
import { modelEmbedder } from './modelEmbedder';
import { createSearchHandlers } from './handlers';

export function createSearchDomain(host: EngineHost) {
  return createSearchHandlers(host, () => {
    const model = host.model(); // EngineError('not-loaded') without one: the handlers fall back to words only
    const settings = host.settings();
    return modelEmbedder(model, settings, async (texts, signal) => (await embedTexts(model, texts, settings.pooling, signal)).embeddings);
  });
}

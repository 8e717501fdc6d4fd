/**
 * Which files of a Hub repository the engine needs: config.json, the
 * tokenizer files, and one set of weights (model.safetensors, else its index
 * and shards, else onnx/model.onnx). Other weight formats (PyTorch, TF, Flax
 * copies), training state and ONNX variants are left on the Hub: they would
 * double or triple the download for nothing the engine reads.
 */
import { EngineError } from '../../errors';
import { pickleExtensions, pickleOnlyMessage } from '../folder';
import type { HubFile } from './hubApi';

export type WeightsKind = 'safetensors' | 'sharded-safetensors' | 'onnx';

export interface FilePlan {
  files: HubFile[];
  weights: WeightsKind;
  /** for sharded checkpoints: the shards are chosen from the index once it is downloaded */
  shardCandidates: HubFile[];
}

const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'added_tokens.json', 'vocab.txt'];

/** a path that stays inside the model folder when joined to it */
export function safeRelativePath(p: string): boolean {
  return p.length > 0 && p.length < 512 && !p.startsWith('/') && !p.includes('\\') && !p.includes('\0') && p.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
}

export function planFiles(repo: string, all: readonly HubFile[]): FilePlan {
  const files = all.filter((f) => safeRelativePath(f.path));
  const byPath = new Map(files.map((f) => [f.path, f]));
  const take: HubFile[] = [];
  const config = byPath.get('config.json');
  if (!config) {
    throw new EngineError('download-failed', `${repo} has no config.json at its top level, so it is not a transformers model the engine can run (it needs config.json, tokenizer.json and model.safetensors).`);
  }
  take.push(config);
  for (const name of TOKENIZER_FILES) {
    const f = byPath.get(name);
    if (f) take.push(f);
  }
  if (!byPath.has('tokenizer.json') && !byPath.has('vocab.txt')) {
    throw new EngineError('download-failed', `${repo} has neither tokenizer.json nor vocab.txt, which the engine needs to read text; it cannot be used as it is.`);
  }
  // task heads in this project's format (models/README.md), published beside an encoder
  for (const f of files) if (/^heads\/[^/]+\/(config\.json|model\.safetensors)$/.test(f.path)) take.push(f);

  let weights: WeightsKind;
  let shardCandidates: HubFile[] = [];
  if (byPath.has('model.safetensors')) {
    weights = 'safetensors';
    take.push(byPath.get('model.safetensors')!);
  } else if (byPath.has('model.safetensors.index.json')) {
    weights = 'sharded-safetensors';
    take.push(byPath.get('model.safetensors.index.json')!);
    shardCandidates = files.filter((f) => !f.path.includes('/') && f.path.endsWith('.safetensors'));
  } else if (byPath.has('onnx/model.onnx')) {
    weights = 'onnx';
    take.push(byPath.get('onnx/model.onnx')!);
    // weights over 2 GB sit in an external-data file beside the graph
    for (const name of ['onnx/model.onnx_data', 'onnx/model.onnx.data']) if (byPath.has(name)) take.push(byPath.get(name)!);
  } else {
    const pickles = files.filter((f) => !f.path.includes('/') && pickleExtensions.some((e) => f.path.endsWith(e))).map((f) => f.path);
    if (pickles.length) {
      throw new EngineError(
        'pickle-refused',
        `${pickleOnlyMessage(repo, pickles)} The Hub often has a safetensors conversion of such a repository in a pull request ("Adding \`safetensors\` variant"): ` +
          'download it with --revision refs/pr/N (its number on the repository\'s Community tab).',
      );
    }
    throw new EngineError('download-failed', `${repo} has no model.safetensors (nor onnx/model.onnx): there are no weights the engine can load.`);
  }
  return { files: take, weights, shardCandidates };
}

/** The shards a downloaded index names; each must be a top-level .safetensors file of the repository. */
export function shardsFromIndex(repo: string, indexJson: string, candidates: readonly HubFile[]): HubFile[] {
  let index: { weight_map?: Record<string, unknown> };
  try {
    index = JSON.parse(indexJson) as typeof index;
  } catch {
    throw new EngineError('download-failed', `model.safetensors.index.json of ${repo} is not valid JSON; the repository is damaged.`);
  }
  const names = new Set(Object.values(index?.weight_map ?? {}));
  if (!names.size) throw new EngineError('download-failed', `model.safetensors.index.json of ${repo} has no "weight_map"; the repository is damaged.`);
  const byPath = new Map(candidates.map((f) => [f.path, f]));
  const shards: HubFile[] = [];
  for (const n of [...names].sort()) {
    const f = typeof n === 'string' ? byPath.get(n) : undefined;
    if (!f) throw new EngineError('download-failed', `model.safetensors.index.json of ${repo} names ${String(n)}, which the repository does not have; it is incomplete.`);
    shards.push(f);
  }
  return shards;
}

/**
 * The tensors of one checkpoint, possibly sharded over several safetensors
 * files, looked up by name as float32.
 */
import { basename } from 'node:path';
import { EngineError } from '../../errors';
import { readSafetensors, tensorAsFloat32, type SafetensorsFile } from '../safetensors';

export interface Tensor {
  data: Float32Array;
  shape: number[];
}

export class CheckpointWeights {
  private readonly byName = new Map<string, SafetensorsFile>();

  constructor(files: SafetensorsFile[]) {
    for (const f of files) for (const name of f.tensors.keys()) this.byName.set(name, f);
  }

  static open(paths: string[]): CheckpointWeights {
    return new CheckpointWeights(paths.map((p) => readSafetensors(p)));
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  /** the first of `candidates` that exists, or undefined */
  find(...candidates: string[]): string | undefined {
    return candidates.find((c) => this.byName.has(c));
  }

  get(name: string, expectedShape?: number[]): Tensor {
    const file = this.byName.get(name);
    if (!file) {
      throw new EngineError('corrupt-weights', `The checkpoint has no tensor "${name}", which config.json's architecture needs. Is config.json from the same checkpoint as the weights?`);
    }
    const shape = file.tensors.get(name)!.shape;
    if (expectedShape && (expectedShape.length !== shape.length || expectedShape.some((d, i) => d !== shape[i]))) {
      throw new EngineError(
        'corrupt-weights',
        `${basename(file.path)}: tensor "${name}" has shape [${shape.join(', ')}] but config.json implies [${expectedShape.join(', ')}].`,
      );
    }
    const data = tensorAsFloat32(file, name);
    // every weight, not only those a probe input touches: a NaN in one vocabulary row spoils only the notes using that token
    const bad = firstNonFinite(data);
    if (bad >= 0) {
      // one NaN weight makes every output NaN: embeddings would be null and search hits meaningless
      throw new EngineError(
        'corrupt-weights',
        `${basename(file.path)}: tensor "${name}" holds ${Number.isNaN(data[bad]) ? 'NaN' : 'infinite'} values (first at element ${bad}); the checkpoint is damaged or was saved after training diverged. Download or export it again.`,
      );
    }
    return { data, shape };
  }
}

/** NaN and both infinities are the float32 values whose exponent bits are all ones; testing the bits is the fastest scan */
export function firstNonFinite(data: Float32Array): number {
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  for (let i = 0; i < bits.length; i++) {
    if ((bits[i]! & 0x7f800000) === 0x7f800000) return i;
  }
  return -1;
}

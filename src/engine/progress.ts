/** What a long engine request reports while it runs. A leaf of the protocol: types only. */
import type { TrainingProgress } from './train/protocol';

export interface Progress {
  /** what is happening, e.g. "Converting model.safetensors to ONNX" */
  message: string;
  /** 0..1 when known */
  fraction?: number;
  /** train.run: epoch, loss, dev score, ETA */
  training?: TrainingProgress;
}

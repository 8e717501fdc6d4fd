/**
 * The graph variants the converter writes from one checkpoint. float32 plain
 * ops is the reference (onnx/model.onnx, readable by any ONNX runtime); the
 * others trade standard ops or bits for speed on a given kind of machine.
 */
import { EngineError } from '../../errors';

export type Precision = 'fp32' | 'fp16' | 'int8';
export const precisions: readonly Precision[] = ['fp32', 'fp16', 'int8'];

/**
 * How an int8 linear layer is written: `contrib` is onnxruntime's
 * DynamicQuantizeMatMul (one node); `standard` is DynamicQuantizeLinear +
 * MatMulInteger + scale Mul, standard ONNX that onnxruntime's CPU optimizer
 * fuses into the same kernel.
 */
export type Int8Route = 'contrib' | 'standard';

export interface GraphVariant {
  precision: Precision;
  /**
   * onnxruntime's fused kernels (MultiHeadAttention, RotaryEmbedding,
   * BiasGelu / Gelu / FastGelu): float32 and int8 only, as its CPU provider
   * runs them in float32.
   */
  fused: boolean;
  /**
   * With fused: residual + LayerNorm as onnxruntime's SkipLayerNormalization.
   * Off in the variants the engine runs: its CPU kernel is a scalar loop,
   * 5-15% slower than Add + LayerNormalization end to end (docs/precision.md).
   */
  skipLayerNorm?: boolean;
  int8Route: Int8Route;
}

export const referenceVariant: GraphVariant = { precision: 'fp32', fused: false, int8Route: 'contrib' };

/** Throws for combinations the converter does not write. */
export function checkVariant(v: GraphVariant): void {
  if (v.skipLayerNorm && !v.fused) throw new EngineError('internal', 'SkipLayerNormalization is part of the fused graph.');
  if (v.precision === 'fp16' && v.fused) {
    throw new EngineError('internal', 'float16 graphs are written with standard ONNX ops only (onnxruntime\'s CPU fused attention runs in float32).');
  }
}

/** a short name for logs, stamps and benchmarks: "int8, fused" */
export function describeVariant(v: GraphVariant): string {
  return `${v.precision}${v.fused ? ', fused' : ''}${v.fused && v.skipLayerNorm ? ' with SkipLayerNormalization' : ''}${v.precision === 'int8' && v.int8Route === 'standard' ? ', standard int8 ops' : ''}`;
}

/** file names per precision, as optimum and transformers.js name them (transformers.js dtype "q8" reads model_quantized.onnx) */
export const variantFileNames: Record<Precision, string> = { fp32: 'model.onnx', fp16: 'model_fp16.onnx', int8: 'model_quantized.onnx' };

/**
 * The graph each precision setting converts to. int8 (the CPU's): ModernBERT
 * with onnxruntime's fused attention, rotary and GELU kernels (about 9% less
 * CPU time than plain ops), BERT with plain ops (the fused kernels measured
 * 0-10% more CPU time for it; docs/precision.md). float32 and float16 keep
 * standard ops, so every provider and other tools can read them.
 */
export function productVariant(precision: Precision, modelType: 'bert' | 'modernbert'): GraphVariant {
  return { precision, fused: precision === 'int8' && modelType === 'modernbert', int8Route: 'contrib' };
}

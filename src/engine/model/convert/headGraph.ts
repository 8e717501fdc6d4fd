/**
 * A head folder as its own small ONNX graph, run right after the encoder on the
 * same batch: inputs last_hidden_state [batch, seq, hidden] float32 (and, for a
 * head that reads the last k layers, the encoder's hidden_states.<i> outputs,
 * concatenated in the graph) and attention_mask [batch, seq] int64, output
 * logits. The layers come from classifierHead.ts, the code the checkpoint
 * converters use.
 */
import { join } from 'node:path';
import type { HeadFolder } from '../headFolder';
import { CheckpointWeights } from './checkpointWeights';
import { appendClassifierHead, headInputWidth } from './classifierHead';
import { cachedOnnxPath, convertIfStale, converterVersion, writeOnnxFile, type ConversionSource } from './convert';
import { flatten } from './encoderOps';
import { GraphBuilder } from './graphBuilder';
import { encodeModel, OnnxDataType, type OnnxGraph } from './onnxModel';

export function buildHeadGraph(head: Pick<HeadFolder, 'name' | 'spec' | 'inputs'>, weights: CheckpointWeights): OnnxGraph {
  const g = new GraphBuilder();
  const H = head.spec.hidden;
  const layers = head.inputs.map((name) => g.input(name, OnnxDataType.Float, ['batch', 'sequence', H]));
  const attentionMask = g.input('attention_mask', OnnxDataType.Int64, ['batch', 'sequence']);
  const batchSeqShape = g.op('Shape', [attentionMask], {}, 'batch_seq_shape');
  g.scope = 'head';
  const hidden3 = layers.length === 1 ? layers[0]! : g.op('Concat', layers, { axis: 2 }, 'layers_concat');
  appendClassifierHead(g, weights, { hidden2: flatten(g, hidden3, headInputWidth(head.spec)), hidden3, attentionMask, batchSeqShape }, head.spec);
  return g.build(`head_${head.name}`);
}

function headSource(head: HeadFolder): ConversionSource {
  // the config decides the layers (architecture, pooling), so it is part of the source
  return { source: head.weightsPath, files: [head.weightsPath, head.configPath] };
}

/**
 * The head's ONNX file, converted when missing or stale: beside it
 * (heads/NAME/onnx/model.onnx) without a cache dir, else in the cache dir like
 * the encoder's.
 */
export function ensureHeadOnnx(head: HeadFolder, opts: { cacheDir?: string; force?: boolean } = {}): { onnxPath: string; converted: boolean } {
  const src = headSource(head);
  const target = cachedOnnxPath(src, join(head.dir, 'onnx', 'model.onnx'), opts.cacheDir ?? '');
  return convertIfStale(src, target, opts.force ?? false, (out) => {
    const graph = buildHeadGraph(head, CheckpointWeights.open([head.weightsPath]));
    const model = encodeModel(graph, {
      producerName: 'clinical-modernbert converter',
      producerVersion: converterVersion,
      docString: `${head.task} classification head "${head.name}" (${head.spec.architecture}); runs on the encoder's last_hidden_state`,
      metadata: { head: head.task, architecture: head.spec.architecture, converter_version: converterVersion },
    });
    writeOnnxFile(model, out);
  });
}

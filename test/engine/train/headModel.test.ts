import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdamW, crossEntropy, gelu, HeadModel, type HeadShape } from '../../../src/engine/train/headModel';
import { SeededRandom } from '../../../src/engine/seededRandom';

/** loss of a head on fixed data, dropout off (so finite differences see the same function) */
function lossOf(head: HeadModel, x: Float64Array, y: number[], n: number, classWeights?: number[], exampleWeights?: number[]): number {
  return crossEntropy(head.forward(x, n).logits, y, n, head.shape.labels, classWeights, exampleWeights).loss;
}

for (const shape of [
  { architecture: 'linear', inputWidth: 7, labels: 4 },
  { architecture: 'mlp', inputWidth: 6, mlpHidden: 5, labels: 3 },
] as HeadShape[]) {
  test(`${shape.architecture} head: backward matches central finite differences of the loss (class and example weights on)`, () => {
    const rng = new SeededRandom(7);
    const head = HeadModel.init(shape, rng, (k) => new Float64Array(k));
    // larger weights than the 0.02 init, so GELU's curvature and every class matter
    for (const p of head.params) for (let i = 0; i < p.data.length; i++) p.data[i] = 0.7 * rng.normal();
    const n = 5;
    const x = Float64Array.from({ length: n * shape.inputWidth }, () => rng.normal());
    const y = [0, 1, 2, 1, 0].map((v) => v % shape.labels);
    const classWeights = Array.from({ length: shape.labels }, (_, i) => 0.5 + i);
    const exampleWeights = [1, 0.25, 2, 1, 0.5];
    const { logits, cache } = head.forward(x, n);
    const { dLogits } = crossEntropy(logits, y, n, shape.labels, classWeights, exampleWeights);
    const grads = head.backward(cache, dLogits);
    const h = 1e-6;
    let worst = 0;
    head.params.forEach((p, k) => {
      for (let i = 0; i < p.data.length; i++) {
        const keep = p.data[i]!;
        p.data[i] = keep + h;
        const up = lossOf(head, x, y, n, classWeights, exampleWeights);
        p.data[i] = keep - h;
        const down = lossOf(head, x, y, n, classWeights, exampleWeights);
        p.data[i] = keep;
        const numeric = (up - down) / (2 * h);
        worst = Math.max(worst, Math.abs(numeric - grads[k]![i]!) / Math.max(1e-3, Math.abs(numeric) + Math.abs(grads[k]![i]!)));
      }
    });
    assert.ok(worst < 1e-5, `worst relative gradient error ${worst}`);
  });
}

test('a wrong gradient is caught: the check is not vacuous', () => {
  const rng = new SeededRandom(3);
  const head = HeadModel.init({ architecture: 'linear', inputWidth: 3, labels: 2 }, rng, (k) => new Float64Array(k));
  const x = Float64Array.of(1, -2, 0.5);
  const { logits, cache } = head.forward(x, 1);
  const { dLogits } = crossEntropy(logits, [1], 1, 2);
  const g = head.backward(cache, dLogits);
  const w = head.param('classifier.weight');
  const keep = w.data[0]!;
  w.data[0] = keep + 1e-6;
  const up = lossOf(head, x, [1], 1);
  w.data[0] = keep - 1e-6;
  const down = lossOf(head, x, [1], 1);
  w.data[0] = keep;
  const numeric = (up - down) / 2e-6;
  assert.ok(Math.abs(numeric - g[0]![0]!) < 1e-7);
  assert.ok(Math.abs(numeric - 2 * g[0]![0]!) > 1e-3, 'doubling the gradient would be noticed');
});

test('cross-entropy: weighted mean, as PyTorch computes it', () => {
  // logits [0, 0] -> p = 0.5 each: loss ln 2 whatever the weights
  assert.ok(Math.abs(crossEntropy(Float64Array.of(0, 0, 0, 0), [0, 1], 2, 2, [1, 3]).loss - Math.LN2) < 1e-12);
  // two examples with losses a and b, class weights 1 and 3: (a + 3b) / 4
  const logits = Float64Array.of(2, 0, 0, 1);
  const a = Math.log(1 + Math.exp(-2));
  const b = Math.log(1 + Math.exp(-1));
  assert.ok(Math.abs(crossEntropy(logits, [0, 1], 2, 2, [1, 3]).loss - (a + 3 * b) / 4) < 1e-12);
});

test('GELU is the exact (erf) GELU to 1e-7', () => {
  // reference values of 0.5 x (1 + erf(x / sqrt 2))
  for (const [x, y] of [[1, 0.8413447460685429], [-1, -0.15865525393145707], [0.5, 0.34573123063700656], [3, 2.99595030590511]] as const) {
    assert.ok(Math.abs(gelu(x) - y) < 1e-7, `gelu(${x})`);
  }
});

test('AdamW: the first step moves each weight by lr against its gradient sign, after decoupled decay; biases are not decayed', () => {
  const w = { name: 'classifier.weight', shape: [2], data: Float32Array.of(1, -1), decay: true };
  const b = { name: 'classifier.bias', shape: [1], data: Float32Array.of(1), decay: false };
  const opt = new AdamW([w, b], { learningRate: 0.1, weightDecay: 0.5 });
  opt.step([Float64Array.of(0.3, -2), Float64Array.of(5)]);
  // m/(1-b1) = g, v/(1-b2) = g^2: the update is lr * g / (|g| + eps)
  assert.ok(Math.abs(w.data[0]! - (1 * (1 - 0.05) - 0.1)) < 1e-6);
  assert.ok(Math.abs(w.data[1]! - (-1 * (1 - 0.05) + 0.1)) < 1e-6);
  assert.ok(Math.abs(b.data[0]! - (1 - 0.1)) < 1e-6);
});

test('the seeded generator repeats itself, and different seeds differ', () => {
  const a = new SeededRandom(42);
  const b = new SeededRandom(42);
  const c = new SeededRandom(43);
  const xs = Array.from({ length: 5 }, () => a.uniform());
  assert.deepEqual(xs, Array.from({ length: 5 }, () => b.uniform()));
  assert.notDeepEqual(xs, Array.from({ length: 5 }, () => c.uniform()));
  assert.deepEqual(new SeededRandom(1).shuffle([1, 2, 3, 4, 5, 6]), new SeededRandom(1).shuffle([1, 2, 3, 4, 5, 6]));
});

/**
 * Weight quantization for the int8 variant, as onnxruntime's quantize_dynamic
 * (and optimum) write it with per_channel=True: symmetric int8 per output
 * channel, range [-127, 127], zero points 0. Activations are quantized at run
 * time (uint8, per tensor) by the graph itself.
 */

export interface QuantizedMatrix {
  /** [in, out] row-major: the B operand of MatMulInteger / DynamicQuantizeMatMul */
  data: Int8Array;
  /** [out]: weight = data * scale */
  scales: Float32Array;
}

/** rounds half to even, as numpy.rint and onnxruntime's quantizer do */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** `w` is the checkpoint's [out, in] matrix; the result is transposed to [in, out]. */
export function quantizePerOutputChannel(w: Float32Array, out: number, inner: number): QuantizedMatrix {
  const data = new Int8Array(out * inner);
  const scales = new Float32Array(out);
  for (let o = 0; o < out; o++) {
    const row = o * inner;
    let maxAbs = 0;
    for (let i = 0; i < inner; i++) maxAbs = Math.max(maxAbs, Math.abs(w[row + i]!));
    // an all-zero row keeps scale 1 so dequantization never divides by zero
    const scale = maxAbs > 0 ? Math.fround(maxAbs / 127) : 1;
    scales[o] = scale;
    for (let i = 0; i < inner; i++) {
      data[i * out + o] = Math.max(-127, Math.min(127, roundHalfEven(w[row + i]! / scale)));
    }
  }
  return { data, scales };
}

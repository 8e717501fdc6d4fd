/**
 * float32 -> IEEE 754 half precision, rounding to nearest even as a GPU (and
 * numpy's astype(float16)) does; values past 65504 become infinity, which the
 * converter checks for before it writes a float16 model.
 */
import type { LazyBytes } from './protobufWriter';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function toFloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // subnormal half (or zero): shift the mantissa with its implicit bit into place
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const midpoint = 1 << (shift - 1);
    if (rest > midpoint || (rest === midpoint && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  // a carry out of the mantissa correctly bumps the exponent (up to infinity)
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++;
  return sign | half;
}

export function fromFloat16Bits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** the largest finite half */
export const float16Max = 65504;

/** float16 bytes of `data`, made when the file is written so both copies never sit in memory at once */
export function float16Bytes(data: Float32Array): LazyBytes {
  return {
    byteLength: data.length * 2,
    make() {
      const out = new Uint16Array(data.length);
      for (let i = 0; i < data.length; i++) out[i] = toFloat16Bits(data[i]!);
      return new Uint8Array(out.buffer);
    },
  };
}

/**
 * WGSL compute shaders of the `webgpu` backend: exact u32 ring arithmetic, ChaCha20 (RFC 8439)
 * computed per block on the device and indexed by stream word, and the centered-binomial noise
 * sampler (popcount of a fixed number of stream words). Only u32 integer operations: no floating
 * point, no rejection loops, so the results equal the cpu reference bit for bit.
 * @module
 * @internal
 */

/** @internal Workgroup size of every entry point. */
export const WORKGROUP = 64;

/** @internal Words of the parameter block (a uniform struct of u32 scalars). */
export const PARAM_WORDS = 20;

type ParamField =
  | 'key'
  | 'nonce'
  | 'blockBase'
  | 'shift'
  | 'count'
  | 'mask'
  | 'mode'
  | 'wordsPer'
  | 'lastMask'
  | 'center'
  | 'rowStride';
/** @internal Parameter layout: index of each field in the uniform block. */
export const P: Readonly<Record<ParamField, number>> = Object.freeze({
  key: 0, // 8 words
  nonce: 8, // 3 words
  blockBase: 11,
  shift: 12,
  count: 13,
  mask: 14,
  mode: 15,
  wordsPer: 16,
  lastMask: 17,
  center: 18,
  rowStride: 19,
});

type Mode = 'expand' | 'addStream' | 'subStream' | 'add' | 'sub' | 'noiseInt' | 'noiseRing';
/** @internal Modes of `stream_main`, `ring_main` and `noise_main`. */
export const MODE: Readonly<Record<Mode, number>> = Object.freeze({
  expand: 0,
  addStream: 1,
  subStream: 2,
  add: 3,
  sub: 4,
  noiseInt: 5,
  noiseRing: 6,
});

/** @internal The shader module (entry points `stream_main`, `ring_main`, `noise_main`). */
export const KERNELS_WGSL: string = /* wgsl */ `
struct Params {
  k0: u32, k1: u32, k2: u32, k3: u32, k4: u32, k5: u32, k6: u32, k7: u32,
  n0: u32, n1: u32, n2: u32,
  blockBase: u32, shift: u32, count: u32, mask: u32, mode: u32,
  wordsPer: u32, lastMask: u32, center: u32, rowStride: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<u32>;
@group(0) @binding(2) var<storage, read> b: array<u32>;
@group(0) @binding(3) var<storage, read_write> o: array<u32>;

fn rot(v: vec4<u32>, n: u32) -> vec4<u32> {
  return (v << vec4<u32>(n)) | (v >> vec4<u32>(32u - n));
}

// One ChaCha20 block (RFC 8439 section 2.3) as four rows, computed four quarter-rounds at a time.
fn chacha(counter: u32) -> array<vec4<u32>, 4> {
  let r0 = vec4<u32>(0x61707865u, 0x3320646eu, 0x79622d32u, 0x6b206574u);
  let r1 = vec4<u32>(p.k0, p.k1, p.k2, p.k3);
  let r2 = vec4<u32>(p.k4, p.k5, p.k6, p.k7);
  let r3 = vec4<u32>(counter, p.n0, p.n1, p.n2);
  var x0 = r0; var x1 = r1; var x2 = r2; var x3 = r3;
  for (var i = 0u; i < 10u; i++) {
    x0 += x1; x3 ^= x0; x3 = rot(x3, 16u);
    x2 += x3; x1 ^= x2; x1 = rot(x1, 12u);
    x0 += x1; x3 ^= x0; x3 = rot(x3, 8u);
    x2 += x3; x1 ^= x2; x1 = rot(x1, 7u);
    x1 = x1.yzwx; x2 = x2.zwxy; x3 = x3.wxyz;
    x0 += x1; x3 ^= x0; x3 = rot(x3, 16u);
    x2 += x3; x1 ^= x2; x1 = rot(x1, 12u);
    x0 += x1; x3 ^= x0; x3 = rot(x3, 8u);
    x2 += x3; x1 ^= x2; x1 = rot(x1, 7u);
    x1 = x1.wxyz; x2 = x2.zwxy; x3 = x3.yzwx;
  }
  return array<vec4<u32>, 4>(x0 + r0, x1 + r1, x2 + r2, x3 + r3);
}

fn index(gid: vec3<u32>) -> u32 {
  return gid.x + gid.y * p.rowStride;
}

// One invocation per ChaCha20 block: stream word g (counted from block blockBase) goes to
// element g - shift.
@compute @workgroup_size(${WORKGROUP})
fn stream_main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let j = index(gid);
  let end = p.shift + p.count;
  if (j * 16u >= end) { return; }
  var x = chacha(p.blockBase + j);
  for (var r = 0u; r < 4u; r++) {
    for (var l = 0u; l < 4u; l++) {
      let g = j * 16u + r * 4u + l;
      if (g >= p.shift && g < end) {
        let i = g - p.shift;
        let w = x[r][l];
        if (p.mode == ${MODE.expand}u) {
          o[i] = w;
        } else if (p.mode == ${MODE.addStream}u) {
          o[i] = (a[i] + (w & p.mask)) & p.mask;
        } else {
          o[i] = (a[i] - (w & p.mask)) & p.mask;
        }
      }
    }
  }
}

@compute @workgroup_size(${WORKGROUP})
fn ring_main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = index(gid);
  if (i >= p.count) { return; }
  if (p.mode == ${MODE.add}u) {
    o[i] = (a[i] + b[i]) & p.mask;
  } else {
    o[i] = (a[i] - b[i]) & p.mask;
  }
}

// One invocation per coordinate i: words shift + i*wordsPer ... + wordsPer - 1 (the last one
// masked to the remaining trials), popcount summed, minus trials/2.
@compute @workgroup_size(${WORKGROUP})
fn noise_main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = index(gid);
  if (i >= p.count) { return; }
  let g0 = p.shift + i * p.wordsPer;
  var current = 0xffffffffu;
  var x = array<vec4<u32>, 4>(vec4<u32>(0u), vec4<u32>(0u), vec4<u32>(0u), vec4<u32>(0u));
  var total = 0u;
  for (var t = 0u; t < p.wordsPer; t++) {
    let g = g0 + t;
    let blk = g >> 4u;
    if (blk != current) {
      x = chacha(p.blockBase + blk);
      current = blk;
    }
    var w = x[(g >> 2u) & 3u][g & 3u];
    if (t + 1u == p.wordsPer) { w = w & p.lastMask; }
    total += countOneBits(w);
  }
  if (p.mode == ${MODE.noiseInt}u) {
    o[i] = total - p.center;
  } else {
    o[i] = (a[i] + total - p.center) & p.mask;
  }
}
`;

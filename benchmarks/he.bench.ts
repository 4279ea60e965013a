/**
 * HE benchmark (`npm run bench -- he`): privagg/he's wrapper versus the same raw node-seal
 * calls (ratio wrapper time / raw time; target <= 1.05), ciphertext bytes per float, encrypted
 * FedAvg end to end, and threshold costs for 5 parties. There is no other CKKS library for
 * JavaScript to compare with: raw node-seal is the peer. Figures taken while other work loads
 * the machine are indicative.
 */
import {
  CKKS_PRESETS,
  type CkksContext,
  type CkksPresetName,
  combinePartialDecryptions,
  combinePublicKeyShares,
  createCkksContext,
  createThresholdParty,
} from '../src/he/index.ts';
import { compare, table } from './_shared.ts';

function f(x: number, digits = 2): string {
  return x.toFixed(digits);
}

function overhead(ctx: CkksContext, quick: boolean): Record<string, unknown>[] {
  const seal = ctx._seal;
  const keys = ctx.generateKeys();
  const x = Float64Array.from({ length: ctx.slotCount }, (_, i) => Math.sin(i));
  // raw node-seal objects for the same operations
  const encoder = new seal.CKKSEncoder(ctx._context);
  const evaluator = new seal.Evaluator(ctx._context);
  const encryptor = new seal.Encryptor(ctx._context, keys.publicKey._key, keys.secretKey._key);
  const decryptor = new seal.Decryptor(ctx._context, keys.secretKey._key);
  const pt = new seal.Plaintext();
  const a = ctx.encrypt(x, keys.publicKey);
  const b = ctx.encrypt(x, keys.publicKey);
  const rawA = a._cts[0] as InstanceType<typeof seal.Ciphertext>;
  const rawB = b._cts[0] as InstanceType<typeof seal.Ciphertext>;
  const p = Number(ctx._shape.primes[1]?.at(-1));
  const weight = new Float64Array(ctx.slotCount).fill(0.5);
  const ops: Record<string, { ours: () => unknown; raw: () => unknown }> = {
    'encrypt (public key)': {
      ours: () => ctx.encrypt(x, keys.publicKey).dispose(),
      raw: () => {
        const ct = new seal.Ciphertext();
        encoder.encode(x, ctx.scale, pt);
        encryptor.encrypt(pt, ct);
        ct.delete();
      },
    },
    'encrypt (seeded, to bytes)': {
      ours: () => ctx.encryptToBytes(x, keys.secretKey),
      raw: () => {
        encoder.encode(x, ctx.scale, pt);
        const s = encryptor.encryptSymmetricSerializable(pt);
        s.saveToArray(seal.ComprModeType.none);
        s.delete();
      },
    },
    add: {
      ours: () => ctx.add(a, b).dispose(),
      raw: () => {
        const ct = new seal.Ciphertext();
        evaluator.add(rawA, rawB, ct);
        ct.delete();
      },
    },
    'weighted sum (2 inputs)': {
      ours: () => ctx.weightedSum([a, b], [0.5, 0.5]).dispose(),
      raw: () => {
        const acc = new seal.Ciphertext();
        const tmp = new seal.Ciphertext();
        for (const src of [rawA, rawB]) {
          encoder.encode(weight, p, pt);
          const pid = src.parmsId();
          evaluator.plainModSwitchToInplace(pt, pid);
          pid.delete();
          if (src === rawA) evaluator.multiplyPlain(src, pt, acc);
          else {
            evaluator.multiplyPlain(src, pt, tmp);
            evaluator.addInplace(acc, tmp);
          }
        }
        evaluator.rescaleToNextInplace(acc);
        acc.delete();
        tmp.delete();
      },
    },
    decrypt: {
      ours: () => ctx.decrypt(a, keys.secretKey),
      raw: () => {
        decryptor.decrypt(rawA, pt);
        encoder.decodeFloat64(pt);
      },
    },
  };
  const rows: Record<string, unknown>[] = [];
  const printed: string[][] = [];
  for (const [name, op] of Object.entries(ops)) {
    const r = compare(
      { ours: { fn: op.ours, units: 1 }, raw: { fn: op.raw, units: 1 } },
      { ms: quick ? 150 : 500, repeats: quick ? 3 : 7 },
    );
    const ours = r.ours?.median ?? Number.NaN;
    const raw = r.raw?.median ?? Number.NaN;
    const ratio = raw / ours; // time ours / time raw
    rows.push({ op: name, oursMs: 1000 / ours, rawMs: 1000 / raw, ratio });
    printed.push([
      name,
      f(1000 / ours, 3),
      f(1000 / raw, 3),
      f(ratio, 3),
      `${f(100 * Math.max(r.ours?.spread ?? 0, r.raw?.spread ?? 0), 0)}%`,
    ]);
  }
  console.log(`\nper-operation time, one ciphertext of ${ctx.slotCount} values (n8192)`);
  table(['operation', 'privagg ms', 'raw ms', 'ratio', 'spread'], printed);
  for (const o of [a, b]) o.dispose();
  for (const o of [encoder, evaluator, encryptor, decryptor, pt]) o.delete();
  return rows;
}

async function sizes(): Promise<Record<string, Record<string, number>>> {
  const length = 100_000;
  const x = Float64Array.from({ length }, (_, i) => Math.cos(i) / 10);
  const rows: string[][] = [];
  const out: Record<string, Record<string, number>> = {};
  for (const preset of Object.keys(CKKS_PRESETS) as CkksPresetName[]) {
    using ctx = await createCkksContext(preset);
    const keys = ctx.generateKeys();
    const seeded = ctx.encryptToBytes(x, keys.secretKey, { bound: 1 }).length / length;
    const fullWire = ctx.encryptToBytes(x, keys.publicKey, { bound: 1 });
    const full = fullWire.length / length;
    using loaded = ctx.loadVector(fullWire);
    const sealForm =
      loaded._cts.reduce((a, ct) => a + ctx._save(ct, 'ciphertext').length, 0) / length;
    // SEAL's own compressed seeded form, for reference (privagg accepts uncompressed only)
    const seal = ctx._seal;
    const encoder = new seal.CKKSEncoder(ctx._context);
    const encryptor = new seal.Encryptor(ctx._context, keys.publicKey._key, keys.secretKey._key);
    const pt = new seal.Plaintext();
    encoder.encode(x.subarray(0, ctx.slotCount), ctx.scale, pt);
    const s = encryptor.encryptSymmetricSerializable(pt);
    const zstd = (s.saveToArray(seal.ComprModeType.zstd) as Uint8Array).length / ctx.slotCount;
    for (const o of [s, encoder, encryptor, pt]) o.delete();
    const p = CKKS_PRESETS[preset];
    rows.push([
      preset,
      `${p.coeffModulusBits.join('/')} @ 2^${p.scaleBits}`,
      f(seeded),
      f(full),
      f(sealForm),
      f(zstd),
    ]);
    out[preset] = { seeded, publicKey: full, publicKeySealForm: sealForm, sealSeededZstd: zstd };
  }
  console.log('\nciphertext bytes per plaintext float (1e5 floats; target <= 12 seeded)');
  table(
    [
      'preset',
      'primes @ scale',
      'seeded, packed (secret key)',
      'public key, packed',
      'public key, SEAL form',
      'SEAL seeded + zstd (reference)',
    ],
    rows,
  );
  return out;
}

async function fedavg(
  preset: CkksPresetName,
  quick: boolean,
  symmetric: boolean,
): Promise<Record<string, number>> {
  using ctx = await createCkksContext(preset);
  const keys = ctx.generateKeys();
  const clients = quick ? 10 : 100;
  const length = 100_000;
  const updates = Array.from({ length: clients }, (_, c) =>
    Float64Array.from({ length }, (_, i) => Math.sin(i + c) / 20),
  );
  const weights = updates.map(() => 1 / clients);
  // plaintext FedAvg of the same vectors (the raw limit the HE server is compared with)
  const plain = new Float64Array(length);
  const tp = performance.now();
  for (let c = 0; c < clients; c++) {
    const x = updates[c] as Float64Array;
    const w = weights[c] as number;
    for (let i = 0; i < length; i++) plain[i] = (plain[i] as number) + w * (x[i] as number);
  }
  const plainMs = performance.now() - tp;
  let t = performance.now();
  const key = symmetric ? keys.secretKey : keys.publicKey;
  const wires = updates.map((x) => ctx.encryptToBytes(x, key, { bound: 1 }));
  const clientMs = (performance.now() - t) / clients;
  t = performance.now();
  using acc = ctx.createWeightedSum();
  for (const [c, wire] of wires.entries()) {
    using v = ctx.loadVector(wire);
    acc.add(v, weights[c] as number);
  }
  using mean = acc.finish();
  const serverMs = performance.now() - t;
  t = performance.now();
  const d = ctx.decrypt(mean, keys.secretKey);
  const decryptMs = performance.now() - t;
  let err = 0;
  for (let i = 0; i < length; i++)
    err = Math.max(err, Math.abs((d.values[i] as number) - (plain[i] as number)));
  const total = clientMs * clients + serverMs + decryptMs;
  console.log(
    `\nencrypted FedAvg, ${clients} clients x 1e5 floats, ${preset}, ${symmetric ? 'seeded symmetric' : 'public-key'} encryption (one thread):`,
  );
  table(
    ['step', 'ms', 'vs plaintext FedAvg'],
    [
      ['plaintext weighted sum (all clients)', f(plainMs), '1x'],
      ['client: encrypt to bytes, per client', f(clientMs), '-'],
      ['server: load + weighted sum + rescale', f(serverMs), `${f(serverMs / plainMs, 0)}x`],
      ['key holder: decrypt', f(decryptMs), '-'],
      ['end to end (every client + server + decrypt)', f(total), `${f(total / plainMs, 0)}x`],
    ],
  );
  console.log(
    `(max error ${err.toExponential(2)}, reported bound ${d.errorBound.toExponential(2)}; ${wires[0]?.length ?? 0} bytes per client)`,
  );
  return { clients, plainMs, clientMs, serverMs, decryptMs, serverRatio: serverMs / plainMs };
}

async function threshold(quick: boolean): Promise<Record<string, number>> {
  const preset: CkksPresetName = 'n8192-flood';
  using ctx = await createCkksContext(preset);
  const seed = new Uint8Array(32).fill(3);
  const parties = 5;
  let t = performance.now();
  const ps = Array.from({ length: parties }, (_, i) =>
    createThresholdParty(ctx, { parties, threshold: 3, index: i + 1, seed }),
  );
  const keygenMs = (performance.now() - t) / parties;
  t = performance.now();
  using pk = combinePublicKeyShares(
    ctx,
    seed,
    ps.map((p) => p.publicKeyShare()),
  );
  const combineKeyMs = performance.now() - t;
  t = performance.now();
  const dealt = ps.map((p) => p.dealShares());
  for (const row of dealt)
    for (const [j, msg] of row.entries()) if (msg !== undefined) ps[j]?.receiveShare(msg);
  const sharingMs = (performance.now() - t) / parties;
  const length = quick ? ctx.slotCount : 4 * ctx.slotCount;
  using v = ctx.encrypt(
    Float64Array.from({ length }, (_, i) => Math.sin(i)),
    pk,
  );
  const cts = Math.ceil(length / ctx.slotCount);
  const set = [1, 2, 3];
  t = performance.now();
  const partials = set.map((j) => ps[j - 1]?.partialDecrypt(v, set) as Uint8Array);
  const partialMs = (performance.now() - t) / set.length / cts;
  t = performance.now();
  const d = combinePartialDecryptions(ctx, v, partials, { parties });
  const combineMs = (performance.now() - t) / cts;
  console.log(`\nthreshold CKKS, 5 parties, 3-of-5, ${preset} (flooding s = 40)`);
  table(
    ['step', 'ms'],
    [
      ['key generation, per party', f(keygenMs)],
      ['combine 5 public-key shares', f(combineKeyMs)],
      ['Shamir dealing + receiving, per party', f(sharingMs)],
      ['partial decryption, per party per ciphertext', f(partialMs)],
      ['combine 3 partials, per ciphertext', f(combineMs)],
    ],
  );
  console.log(`(error bound after flooding at s = 40: ${d.errorBound.toExponential(2)})`);
  for (const p of ps) p.dispose();
  return { keygenMs, combineKeyMs, sharingMs, partialMs, combineMs };
}

export async function runHeBench(quick = false): Promise<Record<string, unknown>> {
  using ctx = await createCkksContext('n8192');
  const perOp = overhead(ctx, quick);
  const bytes = await sizes();
  const fed = [
    await fedavg('n8192', quick, true),
    ...(quick ? [] : [await fedavg('n8192-flood', quick, false)]),
  ];
  const th = await threshold(quick);
  return { perOp, bytes, fedavg: fed, threshold: th };
}

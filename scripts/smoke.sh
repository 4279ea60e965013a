#!/usr/bin/env bash
# Bundle smoke test: pack the package, install the tarball into an empty project, import every
# subpath listed in package.json "exports" from the built files, and run the CLI from it.
# Writes a vitest-style JSON summary to $SMOKE_JSON when set.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
node="$root/node_modules/.bin/node"
[ -x "$node" ] || node="$(command -v node)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$root"
tarball="$(npm pack --silent --pack-destination "$work" 2>/dev/null | tail -n 1)"
mkdir -p "$work/app"
cd "$work/app"
cat > package.json <<'JSON'
{
  "name": "privagg-smoke",
  "version": "0.0.0",
  "private": true,
  "type": "module",
  "allowScripts": { "webgpu": true, "gl": false }
}
JSON
npm install --silent --no-audit --no-fund "$work/$tarball" >/dev/null 2>&1 || npm install --no-audit --no-fund "$work/$tarball"

cat > smoke.mjs <<'JS'
import { readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
const pkg = JSON.parse(readFileSync('node_modules/privagg/package.json', 'utf8'));
const results = [];
async function check(name, fn) {
  try { await fn(); results.push({ name, ok: true }); console.log(`ok   ${name}`); }
  catch (e) { results.push({ name, ok: false }); console.log(`FAIL ${name}: ${e.message}`); }
}
for (const sub of Object.keys(pkg.exports)) {
  if (sub === './package.json') continue;
  const spec = sub === '.' ? 'privagg' : `privagg/${sub.slice(2)}`;
  await check(`import ${spec}`, async () => {
    const m = await import(spec);
    const names = Object.keys(m);
    if (names.length === 0) throw new Error('no exports');
    const types = pkg.exports[sub].types;
    readFileSync(`node_modules/privagg/${types}`, 'utf8');
  });
}
await check('root API works from the bundle', async () => {
  const { randomBytes, PrivaggError, isPrivaggError } = await import('privagg');
  if (randomBytes(16).length !== 16) throw new Error('randomBytes');
  if (!isPrivaggError(new PrivaggError('OVERFLOW', 'x'))) throw new Error('isPrivaggError');
});
await check('privagg/kernels workers backend runs its bundled worker', async () => {
  const { createWorkersBackend, createCpuBackend } = await import('privagg/kernels');
  const w = createWorkersBackend({ threads: 2, minParallelWork: 0 });
  try {
    const s = { key: new Uint8Array(32).fill(1) };
    const a = await w.expandStream(s, new Uint32Array(1000));
    const b = await createCpuBackend().expandStream(s, new Uint32Array(1000));
    if (!a.every((x, i) => x === b[i])) throw new Error('workers differ from cpu');
  } finally {
    w.dispose();
  }
});
await check('privagg/fl: a frame crosses an authenticated loopback WebSocket (ws from the install)', async () => {
  const fl = await import('privagg/fl');
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  const identity = fl.generateIdentity();
  const key = fl.generateIdentity();
  const server = await fl.createWebSocketServerTransport({ identity, logger: quiet, auth: { clients: new Map([['a', key.publicKey]]) } });
  try {
    const got = new Promise((resolve) => server.onEvent((e) => e.type === 'message' && resolve(e.frame)));
    const client = await fl.connectWebSocketTransport(server.url, { clientId: 'a', secretKey: key.secretKey, serverPublicKey: identity.publicKey });
    await client.send(Uint8Array.of(1, 2, 3));
    if ((await got).join() !== '1,2,3') throw new Error('frame changed');
    await client.close();
  } finally {
    await server.close();
  }
});
await check('privagg --version from the installed bin', async () => {
  const v = execFileSync('node_modules/.bin/privagg', ['--version'], { encoding: 'utf8' }).trim();
  if (v !== pkg.version) throw new Error(`printed ${v}, package is ${pkg.version}`);
});
await check('privagg doctor from the installed bin', async () => {
  const out = execFileSync('node_modules/.bin/privagg', ['doctor'], { encoding: 'utf8' });
  if (!out.includes('privagg can run here.')) throw new Error(out);
});
await check('privagg bench from the installed bin writes results.json and report.html; the schema ships', async () => {
  execFileSync('node_modules/.bin/privagg', ['bench', 'limits', '--quick', '--out', 'bench-out'], { encoding: 'utf8' });
  const r = JSON.parse(readFileSync('bench-out/results.json', 'utf8'));
  if (r.schemaVersion !== 1 || !r.limits) throw new Error('results.json without limits');
  if (!readFileSync('bench-out/report.html', 'utf8').includes('Primitive limits on this machine')) throw new Error('report.html');
  JSON.parse(readFileSync('node_modules/privagg/schema/bench-results.schema.json', 'utf8'));
});
const failed = results.filter((r) => !r.ok).length;
if (process.env.SMOKE_JSON)
  writeFileSync(process.env.SMOKE_JSON, JSON.stringify({ numPassedTests: results.length - failed, numFailedTests: failed, numPendingTests: 0 }));
console.log(`smoke: ${results.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
JS
PATH="$(dirname "$node"):$PATH" "$node" smoke.mjs

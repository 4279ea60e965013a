/**
 * Every `@example` block in the public TSDoc is compiled (type-stripped) and run against the
 * current sources, and each `console.log(...); // expected` line must print what its comment says.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  exports: Record<string, unknown>;
};

/** `privagg` and `privagg/<sub>` resolved to the source entry of each landed subpath. */
function sourceEntry(spec: string): string {
  const sub = spec === 'privagg' ? '.' : `./${spec.slice('privagg/'.length)}`;
  if (!(sub in pkg.exports))
    throw new Error(`example imports ${spec}, which package.json does not export`);
  const file = sub === '.' ? 'src/index.ts' : `src/${sub.slice(2)}/index.ts`;
  return pathToFileURL(join(root, file)).href;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
}

interface Example {
  where: string;
  code: string;
  expected: string[];
}

function examples(): Example[] {
  const out: Example[] = [];
  for (const file of walk(join(root, 'src'))) {
    const text = readFileSync(file, 'utf8');
    const re = /@example\s*\n((?:\s*\*.*\n)*?)\s*\*\s*```ts\s*\n((?:\s*\*.*\n)*?)\s*\*\s*```/g;
    for (const m of text.matchAll(re)) {
      const code = (m[2] ?? '')
        .split('\n')
        .map((l) => l.replace(/^\s*\* ?/, ''))
        .join('\n');
      const expected = [...code.matchAll(/console\.log\(.*\);\s*\/\/\s*(.+)$/gm)].map((x) =>
        (x[1] ?? '').trim().replace(/^'(.*)'$/, '$1'),
      );
      const line = text.slice(0, m.index).split('\n').length;
      out.push({ where: `${relative(root, file)}:${line}`, code, expected });
    }
  }
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'privagg-examples-'));

describe('TSDoc @example blocks run and print what they say', () => {
  const all = examples();
  it('there are examples to check', () => {
    expect(all.length).toBeGreaterThan(0);
  });
  for (const [i, ex] of all.entries()) {
    it(ex.where, () => {
      const code = ex.code.replace(
        /from '(privagg(?:\/[a-z]+)?)'/g,
        (_, spec: string) => `from '${sourceEntry(spec)}'`,
      );
      const file = join(dir, `example-${i}.ts`);
      writeFileSync(file, code);
      const stdout = execFileSync(process.execPath, [file], { encoding: 'utf8', timeout: 60_000 });
      const lines = stdout.trim() === '' ? [] : stdout.trim().split('\n');
      expect(lines).toEqual(ex.expected);
    });
  }
});

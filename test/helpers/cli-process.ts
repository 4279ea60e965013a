/**
 * The `privagg` CLI as a child process for tests: run it from the sources (Node strips the
 * types), collect its stdout lines, and wait for a line.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

/** The CLI's source entry. */
export const cliEntry: string = join(
  new URL('../../', import.meta.url).pathname,
  'src/cli/index.ts',
);

/** A running CLI process: its stdout lines so far, and its exit code once it exits. */
export interface CliProcess {
  readonly child: ChildProcess;
  readonly lines: string[];
  readonly done: Promise<number>;
}

/**
 * Start `privagg ...args`; `children` collects it for cleanup.
 * @param args - the CLI arguments
 * @param children - where the child is recorded (killed by the caller's afterAll)
 */
export function startCli(args: readonly string[], children: ChildProcess[]): CliProcess {
  const child = spawn(process.execPath, [cliEntry, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const lines: string[] = [];
  let buffer = '';
  child.stdout?.on('data', (d: Buffer) => {
    buffer += d.toString();
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    lines.push(...parts);
  });
  child.stderr?.resume();
  const done = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
  return { child, lines, done };
}

/** The first of `lines` starting with `prefix`, waiting up to `ms` for it. */
export async function waitForLine(lines: string[], prefix: string, ms = 20_000): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const hit = lines.find((l) => l.startsWith(prefix));
    if (hit !== undefined) return hit;
    if (Date.now() > end)
      throw new Error(`no line starting with "${prefix}" in ${JSON.stringify(lines)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

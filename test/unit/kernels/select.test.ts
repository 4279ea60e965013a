import { describe, expect, it } from 'vitest';
import { createCpuBackend, type KernelBackend, selectBackend } from '../../../src/kernels/index.ts';
import { selfTest } from '../../../src/kernels/select.ts';
import { HOSTILE_VALUES } from '../../helpers/hostile.ts';

describe('selectBackend', () => {
  it('uses gpujs when named, though it reports a software device here, after its self-tests', async () => {
    const s = await selectBackend({ prefer: ['gpujs', 'cpu'] });
    expect(s.backend.name).toBe('gpujs');
    expect(s.backend.software).toBe(true);
    expect(s.tried).toEqual([{ name: 'gpujs', ok: true, reason: s.backend.device }]);
    expect(await selfTest(s.backend)).toBeUndefined();
    s.backend.dispose();
  });
  it('returns a self-tested workers backend when asked for it', async () => {
    const s = await selectBackend({ prefer: 'workers' });
    expect(s.backend.name).toBe('workers');
    expect(s.message).toBe('using workers');
    s.backend.dispose();
  });
  it('auto picks webgpu (hardware only) or workers, and says why it skipped webgpu', async () => {
    const s = await selectBackend();
    expect(['webgpu', 'workers']).toContain(s.backend.name);
    if (s.backend.name === 'webgpu') expect(s.backend.software).toBe(false);
    else expect(s.tried[0]).toMatchObject({ name: 'webgpu', ok: false });
    s.backend.dispose();
  });
  it('rejects bad options', async () => {
    await expect(selectBackend({ prefer: 'tpu' as never })).rejects.toThrow(RangeError);
    await expect(selectBackend({ prefer: [] })).rejects.toThrow(TypeError);
    await expect(selectBackend({ other: 1 } as never)).rejects.toThrow(TypeError);
    for (const { name, value } of HOSTILE_VALUES) {
      if (value === undefined) continue;
      await expect(selectBackend({ allowSoftware: value as never }), name).rejects.toThrow(
        TypeError,
      );
      await expect(selectBackend({ timeoutMs: value as never }), name).rejects.toThrow();
    }
  });
});

describe('selfTest', () => {
  it('passes the cpu reference and catches a backend whose arithmetic is off', async () => {
    const cpu = createCpuBackend();
    expect(await selfTest(cpu)).toBeUndefined();
    const broken: KernelBackend = {
      ...cpu,
      add: async (k, a, b, out) => {
        await cpu.add(k, a, b, out);
        out[7] = (out[7] as number) ^ 1;
        return out;
      },
    };
    expect(await selfTest(broken)).toBe('add differs from the cpu reference');
    const badStream: KernelBackend = {
      ...cpu,
      expandStream: (s, out) => cpu.expandStream({ ...s, wordOffset: 0 }, out),
    };
    expect(await selfTest(badStream)).toBe('RFC 8439 ChaCha20 block mismatch');
  });
});

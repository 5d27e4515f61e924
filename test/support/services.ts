import { freePort, spawnNode, Spawned, terminate, waitForReady } from './process';

/** One compiled service process (`dist/src/main.js`) on the test DATABASE_URL. */
export interface Service {
  name: string;
  url: string;
  process: Spawned;
}

/**
 * Starts `count` service processes on the one test database at the same time (they migrate
 * under the shared advisory lock, so starting together is itself part of what is tested) and
 * resolves once every one answers /health/ready.
 */
export async function startServices(count: number, env: Record<string, string | undefined>, readyTimeoutMs = 45_000): Promise<Service[]> {
  const ports = await Promise.all(Array.from({ length: count }, () => freePort()));
  const services = ports.map((port, i) => ({
    name: `process ${i + 1}`,
    url: `http://127.0.0.1:${port}`,
    process: spawnNode('dist/src/main.js', [], { LOG_LEVEL: 'warn', ...env, PORT: String(port) }),
  }));
  try {
    await Promise.all(services.map((s, i) => waitForReady(ports[i], s.process, readyTimeoutMs)));
  } catch (error) {
    await stopServices(services);
    throw error;
  }
  return services;
}

/** SIGTERM to every process still running, SIGKILL to any that has not exited 10 s later. */
export async function stopServices(services: Service[]): Promise<void> {
  await Promise.all(
    services
      .filter((s) => s.process.child.exitCode === null)
      .map(async (s) => {
        const killer = setTimeout(() => s.process.child.kill('SIGKILL'), 10_000);
        await terminate(s.process);
        clearTimeout(killer);
      }),
  );
}

/** Polls `check` until it holds or the deadline passes; resolves with the time it held (ms since epoch). */
export async function pollUntil(check: () => Promise<boolean>, timeoutMs: number, what: string, intervalMs = 20): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return Date.now();
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

// Webhook delivery against a real HTTP server on 127.0.0.1: which answers
// are retried (network errors, 429, 5xx), which are not (other 4xx), and that
// a webhook that keeps failing is given up and logged, never thrown.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalLauncher } from '../engine/execute/launcher.js';
import { Notifier, type NotificationPayload } from '../engine/schedule/notifier.js';
import { tempFolder } from './run-helpers.js';

let server: Server | undefined;
afterEach(() => server?.close());

/** A server that answers with the given statuses in turn (the last one from then on), counting requests. */
async function answering(...statuses: number[]): Promise<{ url: string; requests: () => number }> {
  let count = 0;
  server = createServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(statuses[Math.min(count++, statuses.length - 1)]!).end());
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, requests: () => count };
}

/** The URL of a port that was free a moment ago: nothing listens there. */
async function closedPortUrl(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return `http://127.0.0.1:${port}/nothing-here`;
}

const payload: NotificationPayload = { event: 'failure', pipeline: 'p', run_id: 7, state: 'FAILED', time: new Date(0).toISOString() };

function notifier(log: string[]): Notifier {
  return new Notifier({ launcher: new LocalLauncher(), logDir: tempFolder('notify'), log: (line) => log.push(line), webhookAttempts: 3, firstRetryMillis: 20 });
}

describe('webhook notifications', () => {
  it('retry 429 and 5xx with backoff until the hook answers 2xx', async () => {
    const hook = await answering(503, 429, 200);
    const log: string[] = [];
    const sender = notifier(log);
    sender.send([{ kind: 'webhook', url: hook.url }], payload, '/');
    await sender.drain(5000);
    expect(hook.requests()).toBe(3);
    expect(log).toEqual([]);
  });

  it('do not retry a 4xx: the hook refused the event', async () => {
    const hook = await answering(404);
    const log: string[] = [];
    const sender = notifier(log);
    sender.send([{ kind: 'webhook', url: hook.url }], payload, '/');
    await sender.drain(5000);
    expect(hook.requests()).toBe(1);
    expect(log).toEqual([`webhook ${hook.url} refused the failure event of run 7: HTTP 404; not retried`]);
  });

  it('give up after the last attempt and log why, also when nothing listens', async () => {
    const hook = await answering(500);
    const log: string[] = [];
    const closed = await closedPortUrl();
    const sender = notifier(log);
    sender.send([{ kind: 'webhook', url: hook.url }, { kind: 'webhook', url: closed }], payload, '/');
    await sender.drain(5000);
    expect(hook.requests()).toBe(3);
    expect(log).toContain(`webhook ${hook.url} failed for the failure event of run 7 after 3 attempts: HTTP 500`);
    expect(log.find((line) => line.startsWith(`webhook ${closed} failed`))).toMatch(/after 3 attempts: .*ECONNREFUSED/);
  });
});

/**
 * The agent's logs endpoint: a container's log, its last lines, the previous attempt's
 * log, following a running attempt until it exits, and clear errors for what does not exist.
 */
import { request } from 'node:http';
import { eventually } from '../support/eventually.js';
import { PODS, boundPod, startAgentHarness } from './support/agent-harness.js';
import type { AgentHarness } from './support/agent-harness.js';

let harness: AgentHarness;

beforeAll(async () => {
  harness = await startAgentHarness();
});

afterAll(async () => {
  await harness?.stop();
});

function get(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(`${harness.agent.logsUrl}${path}`, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

async function runningAttempt(pod: string, attempt: number): Promise<string> {
  return eventually(async () => {
    const info = harness.runtime.latest(pod, 'app');
    if (info?.state !== 'running' || info.attempt !== attempt) throw new Error('not running');
    return info.id;
  });
}

test('serves the current and previous logs, the last lines, and follows until the container exits', async () => {
  const { plane, runtime } = harness;
  const namespace = await plane.namespace('logs');
  await plane.client.create(PODS, namespace, boundPod('talker', harness.nodeName, { containers: [{ name: 'app', image: 'app:1' }] }));
  const first = await runningAttempt('talker', 0);
  runtime.write(first, 'one\ntwo\nthree\n');
  const base = `/containerLogs/${namespace}/talker/app`;
  expect(await get(base)).toEqual({ status: 200, body: 'one\ntwo\nthree\n' });
  expect(await get(`${base}?tailLines=2`)).toEqual({ status: 200, body: 'two\nthree\n' });
  const noPrevious = await get(`${base}?previous=true`);
  expect(noPrevious.status).toBe(400);
  expect(noPrevious.body).toContain('previous terminated container "app" in pod "talker" not found');

  runtime.exit(first, 1);
  const second = await runningAttempt('talker', 1);
  runtime.write(second, 'again\n');
  expect(await get(base)).toEqual({ status: 200, body: 'again\n' });
  expect(await get(`${base}?previous=true&tailLines=1`)).toEqual({ status: 200, body: 'three\n' });

  const followed = get(`${base}?follow=true`);
  await new Promise((resolve) => setTimeout(resolve, 500));
  runtime.write(second, 'later\n');
  await new Promise((resolve) => setTimeout(resolve, 500));
  runtime.exit(second, 0);
  expect(await followed).toEqual({ status: 200, body: 'again\nlater\n' });
});

test('unknown pods and containers are 404 with a message', async () => {
  const { plane } = harness;
  const namespace = await plane.namespace('nologs');
  const pod = await get(`/containerLogs/${namespace}/nobody/app`);
  expect(pod).toEqual({ status: 404, body: `pod "nobody" in namespace "${namespace}" is not running on this node\n` });
  await plane.client.create(PODS, namespace, boundPod('quiet', harness.nodeName, { containers: [{ name: 'app', image: 'app:1' }] }));
  await runningAttempt('quiet', 0);
  const container = await get(`/containerLogs/${namespace}/quiet/sidecar`);
  expect(container).toEqual({ status: 404, body: `container "sidecar" is not in pod "quiet" (namespace "${namespace}")\n` });
});

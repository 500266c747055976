/**
 * Blue-green Deployments: the Deployment controller with the blue-green deployer, the
 * ReplicaSet and Endpoints controllers, against a real API server and KV, a fake node agent
 * whose readiness the test controls (pods of `web:broken` never become Ready), and caches
 * that trail the API server. Watches outside the code under test keep every version of the
 * Service, the ReplicaSets and the pods, so each claim is checked at the revision it is
 * about, not at the moments the test polls. It proves:
 *
 * - a BlueGreen Deployment without a readiness probe is refused (422) saying so;
 * - the first rollout pins the Service to its version; a new template gets a full new
 *   ReplicaSet beside the old one, the Service moves once (old hash → new hash, never a
 *   selector of both or none), only when every new pod is Ready, and the old version is
 *   scaled to 0 only after the switch (after its delay), with an Event at each step;
 * - a new version not healthy within `healthTimeoutSeconds` is scaled to 0 and the Service
 *   never moves; Progressing=False `BlueGreenHealthTimeout` names the pods not ready;
 * - `autoPromote: false` waits for `balsa rollout promote`; `balsa rollout abort` gives the
 *   new version up; `balsa rollout undo` brings the old one back the blue-green way.
 */
import { ApiError } from '../../../control-plane/apiserver/errors.js';
import { resourceByName } from '../../../control-plane/api/resources.js';
import type { ApiObject } from '../../../control-plane/api/types.js';
import { deploymentRolloutStatus } from '../../../control-plane/cli/rollout-status.js';
import { DeploymentController, EndpointsController, ReplicaSetController } from '../../../control-plane/controllers/index.js';
import { eventually } from '../../support/eventually.js';
import { runBalsa } from '../cli/cli-test-io.js';
import { TEST_QUEUE_OPTIONS, startControlPlane } from './support/control-plane.js';
import type { ControlPlane } from './support/control-plane.js';
import { FakeNodeAgent, isReady } from './support/fake-node-agent.js';
import { watchHistory } from './support/object-history.js';
import type { ObjectHistory } from './support/object-history.js';

const PODS = resourceByName('pods')!;
const REPLICASETS = resourceByName('replicasets')!;
const DEPLOYMENTS = resourceByName('deployments')!;
const SERVICES = resourceByName('services')!;
const ENDPOINTS = resourceByName('endpoints')!;
const EVENTS = resourceByName('events')!;

const TEST_TIMEOUT_MS = 120_000;
const WAIT_MS = 40_000;
const BROKEN_IMAGE = 'web:broken';
const HASH = 'pod-template-hash';
const REPLICAS = 3;

type Json = Record<string, unknown>;
type Condition = { type: string; status: string; reason: string; message: string };

let plane: ControlPlane;
let agent: FakeNodeAgent;
/** Images whose pods the fake agent holds unready (besides the broken one). */
const heldUnready = new Set<string>();

beforeAll(async () => {
  plane = await startControlPlane({ cacheLagMs: 100 });
  await plane.startControllers([
    new ReplicaSetController({ workers: 4, queue: TEST_QUEUE_OPTIONS }),
    new DeploymentController({ workers: 4, queue: TEST_QUEUE_OPTIONS }),
    new EndpointsController({ workers: 2, queue: TEST_QUEUE_OPTIONS }),
  ]);
  agent = await FakeNodeAgent.start(plane.client, { readyDelayMs: 100, podIP: '127.0.0.9', readiness: readyRule });
}, 60_000);

afterAll(async () => {
  await agent?.stop();
  await plane?.stop();
}, 30_000);

function readyRule(pod: ApiObject): boolean {
  const image = imageOf(pod);
  return image !== BROKEN_IMAGE && !heldUnready.has(image);
}

function holdUnready(image: string, held: boolean): void {
  if (held) heldUnready.add(image);
  else heldUnready.delete(image);
  agent.setReadiness(readyRule);
}

function imageOf(object: ApiObject | Json): string {
  const spec = (object.spec ?? {}) as { containers?: { image?: string }[]; template?: { spec?: { containers?: { image?: string }[] } } };
  const containers = spec.containers ?? spec.template?.spec?.containers ?? [];
  return containers[0]?.image ?? '';
}

function manifest(blueGreen: Json, image = 'web:1', probe = true): ApiObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: {
      replicas: REPLICAS,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'BlueGreen', blueGreen: { activeService: 'web', ...blueGreen } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          terminationGracePeriodSeconds: 5,
          containers: [
            {
              name: 'main',
              image,
              ports: [{ name: 'http', containerPort: 8080 }],
              ...(probe ? { readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 1 } } : {}),
            },
          ],
        },
      },
    },
  };
}

async function createService(ns: string, name = 'web'): Promise<void> {
  await plane.client.create(SERVICES, ns, { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } });
}

async function deployment(ns: string): Promise<ApiObject> {
  return plane.client.get(DEPLOYMENTS, ns, 'web');
}

async function replicaSets(ns: string): Promise<ApiObject[]> {
  return (await plane.client.list(REPLICASETS, ns)).items;
}

function statusOf(object: ApiObject): Json {
  return (object.status ?? {}) as Json;
}

function progressing(object: ApiObject): Condition | undefined {
  return ((statusOf(object).conditions ?? []) as Condition[]).find((condition) => condition.type === 'Progressing');
}

function selectorOf(service: ApiObject): Record<string, string> {
  return ((service.spec as Json).selector ?? {}) as Record<string, string>;
}

function replicasOf(rs: ApiObject): number {
  return (rs.spec as { replicas: number }).replicas;
}

async function serviceHash(ns: string, name = 'web'): Promise<string | undefined> {
  return selectorOf(await plane.client.get(SERVICES, ns, name))[HASH];
}

/** A new image, the rest of the container kept (a merge patch would replace the container list, probe included). */
async function setImage(ns: string, image: string): Promise<void> {
  const current = await deployment(ns);
  const container = (((current.spec as Json).template as Json).spec as { containers: Json[] }).containers[0]!;
  await plane.client.patch(DEPLOYMENTS, ns, 'web', { spec: { template: { spec: { containers: [{ ...container, image }] } } } });
}

/** The hash of the ReplicaSet running `image`. */
async function hashOfImage(ns: string, image: string): Promise<string> {
  const rs = (await replicaSets(ns)).find((candidate) => imageOf(candidate) === image);
  expect(rs).toBeDefined();
  return rs!.metadata.labels![HASH]!;
}

/** Waits until `rollout status` would exit 0 with `image` live, and answers the Deployment. */
async function live(ns: string, image: string): Promise<ApiObject> {
  return eventually(async () => {
    const current = await deployment(ns);
    expect(imageOf((current.spec as Json).template as Json)).toBe(image);
    expect(deploymentRolloutStatus(current).done).toBe(true);
    expect(await serviceHash(ns)).toBe(await hashOfImage(ns, image));
    return current;
  }, WAIT_MS);
}

async function eventReasons(ns: string): Promise<string[]> {
  return (await plane.client.list(EVENTS, ns)).items.map((event) => `${event.reason as string}: ${event.message as string}`);
}

/** The selector hashes the Service had, in order, each distinct value once. */
function selectorHistory(history: ObjectHistory): (string | undefined)[] {
  const hashes: (string | undefined)[] = [];
  for (const { object } of history.versions(SERVICES)) {
    const hash = selectorOf(object)[HASH];
    if (hashes.length === 0 || hashes[hashes.length - 1] !== hash) hashes.push(hash);
  }
  return hashes;
}

/** The revision at which the Service's selector first named `hash`. */
function switchRevision(history: ObjectHistory, hash: string): number {
  const version = history.versions(SERVICES).find(({ object }) => selectorOf(object)[HASH] === hash);
  expect(version).toBeDefined();
  return version!.revision;
}

async function start(ns: string, blueGreen: Json): Promise<{ history: ObjectHistory; oldHash: string }> {
  await createService(ns);
  await plane.client.create(DEPLOYMENTS, ns, manifest(blueGreen));
  const first = await live(ns, 'web:1');
  const oldHash = await hashOfImage(ns, 'web:1');
  expect(first.metadata.annotations?.['deployment.balsa.dev/active-revision']).toBe('1');
  const history = await watchHistory(plane.client, ns, [SERVICES, REPLICASETS, PODS, ENDPOINTS]);
  return { history, oldHash };
}

test('a BlueGreen Deployment whose container has no readiness probe is refused, saying so', async () => {
  const ns = await plane.namespace('bg-probe');
  const error = await plane.client.create(DEPLOYMENTS, ns, manifest({}, 'web:1', false)).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ApiError);
  expect((error as ApiError).httpCode).toBe(422);
  expect((error as ApiError).message).toContain('spec.template.spec.containers[0].readinessProbe: Required value: a BlueGreen deployment needs a readiness probe on every container');
  const missing = await plane.client.create(DEPLOYMENTS, ns, { ...manifest({}), spec: { ...(manifest({}).spec as Json), strategy: { type: 'BlueGreen' } } }).catch((caught: unknown) => caught);
  expect((missing as ApiError).message).toContain('spec.strategy.blueGreen.activeService: Required value');
  expect((await plane.client.list(DEPLOYMENTS, ns)).items).toEqual([]);
}, TEST_TIMEOUT_MS);

test('the Service moves once, from the old version to the new, only when every new pod is Ready; the old version goes after the switch', async () => {
  const ns = await plane.namespace('bg-switch');
  const { history, oldHash } = await start(ns, { scaleDownDelaySeconds: 2 });
  try {
    holdUnready('web:2', true);
    await setImage(ns, 'web:2');
    // Both versions at full size, the new one not ready: the Service stays.
    await eventually(async () => {
      const sets = await replicaSets(ns);
      expect(sets.map((rs) => [imageOf(rs), replicasOf(rs)]).sort()).toEqual([
        ['web:1', REPLICAS],
        ['web:2', REPLICAS],
      ]);
      const pods = (await plane.client.list(PODS, ns)).items.filter((pod) => imageOf(pod) === 'web:2');
      expect(pods).toHaveLength(REPLICAS);
      expect(pods.every((pod) => (pod.status as Json | undefined)?.phase === 'Running')).toBe(true);
      expect(deploymentRolloutStatus(await deployment(ns)).message).toContain(`0 of ${REPLICAS} new replicas are available`);
    }, WAIT_MS);
    expect(await serviceHash(ns)).toBe(oldHash);
    holdUnready('web:2', false);
    const done = await live(ns, 'web:2');
    const newHash = await hashOfImage(ns, 'web:2');

    // The Service changed once, old hash to new hash, never unpinned.
    expect(selectorHistory(history)).toEqual([oldHash, newHash]);
    const switchedAt = switchRevision(history, newHash);
    // At that revision every new pod was Ready.
    const newPods = history.at(PODS, switchedAt).filter((pod) => pod.metadata.labels?.[HASH] === newHash);
    expect(newPods).toHaveLength(REPLICAS);
    expect(newPods.every(isReady)).toBe(true);
    // The old version had all its pods until the switch, and was scaled down after it.
    const oldSizes = history.versions(REPLICASETS).filter(({ object }) => object.metadata.labels?.[HASH] === oldHash);
    expect(oldSizes.filter(({ revision, object }) => revision < switchedAt && replicasOf(object) !== REPLICAS)).toEqual([]);
    await eventually(async () => expect((await replicaSets(ns)).map((rs) => [imageOf(rs), replicasOf(rs)]).sort()).toEqual([['web:1', 0], ['web:2', REPLICAS]]), WAIT_MS);
    // Every version of the Endpoints listed pods of one version only.
    for (const { object } of history.versions(ENDPOINTS)) {
      const subsets = ((object as { subsets?: { addresses?: { targetRef: { name: string } }[]; notReadyAddresses?: { targetRef: { name: string } }[] }[] }).subsets ?? []);
      const names = subsets.flatMap((subset) => [...(subset.addresses ?? []), ...(subset.notReadyAddresses ?? [])].map((address) => address.targetRef.name));
      const hashes = new Set(names.map((name) => history.versions(PODS).find(({ object: pod }) => pod.metadata.name === name)?.object.metadata.labels?.[HASH]));
      expect(hashes.size).toBeLessThanOrEqual(1);
    }

    expect(done.metadata.annotations?.['deployment.balsa.dev/active-revision']).toBe('2');
    expect(statusOf(done)).toMatchObject({ currentPodHash: newHash, blueGreen: { activeSelector: newHash } });
    await eventually(async () => {
      const settled = await deployment(ns);
      expect(statusOf(settled)).toMatchObject({ observedGeneration: settled.metadata.generation, replicas: REPLICAS, updatedReplicas: REPLICAS, readyReplicas: REPLICAS, availableReplicas: REPLICAS });
      const reasons = await eventReasons(ns);
      expect(reasons).toContainEqual(expect.stringMatching(/^BlueGreenPreviewReady: ReplicaSet "web-\w+" \(revision 2\) is healthy/));
      expect(reasons).toContainEqual(`BlueGreenPromoted: Switched service "web" from ReplicaSet "web-${oldHash}" (revision 1) to ReplicaSet "web-${newHash}" (revision 2)`);
      expect(reasons).toContainEqual(`BlueGreenScaledDownOld: Scaled down ReplicaSet "web-${oldHash}" (revision 1) to 0 after its 2s scale-down delay`);
    }, WAIT_MS);
    expect(history.errors).toEqual([]);
  } finally {
    history.stop();
  }
}, TEST_TIMEOUT_MS);

test('a new version not healthy within healthTimeoutSeconds is removed; the Service never moves; the rollout fails with the pods named', async () => {
  const ns = await plane.namespace('bg-timeout');
  const { history, oldHash } = await start(ns, { healthTimeoutSeconds: 2 });
  try {
    await setImage(ns, BROKEN_IMAGE);
    const failed = await eventually(async () => {
      const current = await deployment(ns);
      expect(progressing(current)).toMatchObject({ status: 'False', reason: 'BlueGreenHealthTimeout' });
      expect((await replicaSets(ns)).map((rs) => [imageOf(rs), replicasOf(rs)]).sort()).toEqual([['web:1', REPLICAS], [BROKEN_IMAGE, 0]]);
      return current;
    }, WAIT_MS);
    const brokenHash = await hashOfImage(ns, BROKEN_IMAGE);
    expect(progressing(failed)!.message).toMatch(new RegExp(`^ReplicaSet "web-${brokenHash}" did not become healthy within 2s \\(pods not ready: (web-${brokenHash}-\\w+(, )?){${REPLICAS}}\\); service "web" stays on ReplicaSet "web-${oldHash}"$`));
    expect(() => deploymentRolloutStatus(failed)).toThrow(/rollout aborted: ReplicaSet "web-\w+" did not become healthy within 2s/);
    expect(failed.metadata.annotations?.['deployment.balsa.dev/abort']).toBe(brokenHash);
    await eventually(async () => expect(await eventReasons(ns)).toContainEqual(`BlueGreenAborted: ${progressing(failed)!.message}`), WAIT_MS);
    // Not retried: the failed version stays at 0, the Service on the old one.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await replicaSets(ns)).find((rs) => imageOf(rs) === BROKEN_IMAGE)!.spec).toMatchObject({ replicas: 0 });
    expect(selectorHistory(history)).toEqual([oldHash]);
  } finally {
    history.stop();
  }
}, TEST_TIMEOUT_MS);

test('autoPromote false waits for `balsa rollout promote`; the preview Service shows the new version meanwhile', async () => {
  const ns = await plane.namespace('bg-promote');
  await createService(ns, 'web-preview');
  const { history, oldHash } = await start(ns, { autoPromote: false, previewService: 'web-preview' });
  try {
    await setImage(ns, 'web:2');
    const waiting = await eventually(async () => {
      const current = await deployment(ns);
      expect(progressing(current)).toMatchObject({ status: 'Unknown', reason: 'BlueGreenAwaitingPromotion' });
      return current;
    }, WAIT_MS);
    const newHash = await hashOfImage(ns, 'web:2');
    expect(deploymentRolloutStatus(waiting).message).toBe(`Waiting for deployment "web" rollout to be promoted: the new version is healthy; run 'balsa rollout promote deployment/web'...\n`);
    expect(await serviceHash(ns)).toBe(oldHash);
    expect(await serviceHash(ns, 'web-preview')).toBe(newHash);
    const promoted = await runBalsa(plane, ['rollout', 'promote', 'deployment/web', '-n', ns]);
    expect(promoted).toEqual({ code: 0, stdout: 'deployment.apps/web promoted\n', stderr: '' });
    await live(ns, 'web:2');
    expect(selectorHistory(history)).toEqual([oldHash, newHash]);
    await eventually(async () => expect(await serviceHash(ns, 'web-preview')).toBe(newHash), WAIT_MS);
    // Nothing left to promote.
    const again = await runBalsa(plane, ['rollout', 'promote', 'deployment/web', '-n', ns]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('has no new version rolling out');
  } finally {
    history.stop();
  }
}, TEST_TIMEOUT_MS);

test('`balsa rollout abort` scales the new version to 0 and keeps the Service on the old one', async () => {
  const ns = await plane.namespace('bg-abort');
  const { history, oldHash } = await start(ns, { autoPromote: false });
  try {
    await setImage(ns, 'web:2');
    await eventually(async () => expect(progressing(await deployment(ns))?.reason).toBe('BlueGreenAwaitingPromotion'), WAIT_MS);
    expect(await runBalsa(plane, ['rollout', 'abort', 'deployment/web', '-n', ns])).toEqual({ code: 0, stdout: 'deployment.apps/web aborted\n', stderr: '' });
    const aborted = await eventually(async () => {
      const current = await deployment(ns);
      expect(progressing(current)).toMatchObject({ status: 'False', reason: 'BlueGreenAborted' });
      expect((await replicaSets(ns)).map((rs) => [imageOf(rs), replicasOf(rs)]).sort()).toEqual([['web:1', REPLICAS], ['web:2', 0]]);
      return current;
    }, WAIT_MS);
    expect(() => deploymentRolloutStatus(aborted)).toThrow(/deployment "web" rollout aborted: Rollout of ReplicaSet "web-\w+" aborted; service "web" stays on ReplicaSet "web-\w+"/);
    const status = await runBalsa(plane, ['rollout', 'status', 'deployment/web', '-n', ns, '--timeout', '20s']);
    expect(status.code).toBe(1);
    expect(status.stderr).toContain('rollout aborted');
    expect(selectorHistory(history)).toEqual([oldHash]);
    await eventually(async () => expect(await eventReasons(ns)).toContainEqual(expect.stringMatching(/^BlueGreenAborted: Rollout of ReplicaSet/)), WAIT_MS);
  } finally {
    history.stop();
  }
}, TEST_TIMEOUT_MS);

test('`balsa rollout undo` scales the previous version up again and switches back once it is Ready', async () => {
  const ns = await plane.namespace('bg-undo');
  const { history, oldHash } = await start(ns, { scaleDownDelaySeconds: 1 });
  try {
    await setImage(ns, 'web:2');
    await live(ns, 'web:2');
    const newHash = await hashOfImage(ns, 'web:2');
    await eventually(async () => expect((await replicaSets(ns)).find((rs) => imageOf(rs) === 'web:1')!.spec).toMatchObject({ replicas: 0 }), WAIT_MS);
    holdUnready('web:1', true);
    const undo = await runBalsa(plane, ['rollout', 'undo', 'deployment/web', '-n', ns]);
    expect(undo).toEqual({ code: 0, stdout: 'deployment.apps/web rolled back\n', stderr: '' });
    await eventually(async () => {
      expect((await replicaSets(ns)).map((rs) => [imageOf(rs), replicasOf(rs)]).sort()).toEqual([['web:1', REPLICAS], ['web:2', REPLICAS]]);
      expect((await plane.client.list(PODS, ns)).items.filter((pod) => imageOf(pod) === 'web:1')).toHaveLength(REPLICAS);
    }, WAIT_MS);
    expect(await serviceHash(ns)).toBe(newHash);
    holdUnready('web:1', false);
    const back = await live(ns, 'web:1');
    expect(back.metadata.annotations).toMatchObject({ 'deployment.kubernetes.io/revision': '3', 'deployment.balsa.dev/active-revision': '3' });
    expect(selectorHistory(history)).toEqual([oldHash, newHash, oldHash]);
    const backAt = switchRevision(history, oldHash);
    const restored = history.versions(SERVICES).filter(({ object }) => selectorOf(object)[HASH] === oldHash).map(({ revision }) => revision);
    const returnedAt = restored.find((revision) => revision > switchRevision(history, newHash)) ?? backAt;
    const oldPods = history.at(PODS, returnedAt).filter((pod) => pod.metadata.labels?.[HASH] === oldHash && pod.metadata.deletionTimestamp === undefined);
    expect(oldPods).toHaveLength(REPLICAS);
    expect(oldPods.every(isReady)).toBe(true);
  } finally {
    history.stop();
  }
}, TEST_TIMEOUT_MS);

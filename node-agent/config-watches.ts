/**
 * The ConfigMaps and Secrets the pods of this node read, each watched on its own (an
 * informer in its namespace selecting `metadata.name=<name>`), as the kubelet watches them:
 * the API server lets a node read only what a pod bound to it refers to, never a whole
 * kind. A watch starts when the first pod refers to the object and stops when the last one
 * that did is gone. Changes reach the pods of the object's namespace (`onChange`).
 */
import { podReferences } from '../control-plane/api/pod-references.js';
import { resourceByName } from '../control-plane/api/resources.js';
import type { ApiObject } from '../control-plane/api/types.js';
import { Informer } from '../control-plane/client/informer.js';
import type { InformerSource } from '../control-plane/client/informer.js';
import type { ConfigSources } from './config-sources.js';

const CONFIG_MAPS = resourceByName('configmaps')!;
const SECRETS = resourceByName('secrets')!;

type Kind = 'configmaps' | 'secrets';

function watchKey(kind: Kind, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

export class ConfigWatches implements ConfigSources {
  private readonly watches = new Map<string, Informer>();
  /** Pod uid → the watch keys it refers to. */
  private readonly referencesByPod = new Map<string, Set<string>>();
  private stopped = false;

  constructor(
    private readonly client: InformerSource,
    private readonly onChange: (namespace: string) => void,
    private readonly log: (line: string) => void,
  ) {}

  configMap(namespace: string, name: string): ApiObject | undefined {
    return this.watches.get(watchKey('configmaps', namespace, name))?.getByName(namespace, name);
  }

  secret(namespace: string, name: string): ApiObject | undefined {
    return this.watches.get(watchKey('secrets', namespace, name))?.getByName(namespace, name);
  }

  /** Watches what `pod` refers to (and no longer what it referred to before); resolves once those watches have listed. */
  track(pod: ApiObject): Promise<void> {
    const namespace = pod.metadata.namespace ?? 'default';
    const references = podReferences(pod);
    const keys = new Set<string>([
      ...[...references.configMaps].map((name) => watchKey('configmaps', namespace, name)),
      ...[...references.secrets].map((name) => watchKey('secrets', namespace, name)),
    ]);
    const uid = pod.metadata.uid!;
    const before = this.referencesByPod.get(uid) ?? new Set<string>();
    this.referencesByPod.set(uid, keys);
    const started: Promise<void>[] = [];
    for (const key of keys) if (!before.has(key)) started.push(this.ensure(key));
    for (const key of before) if (!keys.has(key)) this.release(key);
    return Promise.all(started).then(() => undefined);
  }

  /** The pod is gone from this node: its watches go when no other pod needs them. */
  untrack(uid: string): void {
    const keys = this.referencesByPod.get(uid);
    this.referencesByPod.delete(uid);
    for (const key of keys ?? []) this.release(key);
  }

  stop(): void {
    this.stopped = true;
    for (const informer of this.watches.values()) informer.stop();
    this.watches.clear();
  }

  private ensure(key: string): Promise<void> {
    const existing = this.watches.get(key);
    if (existing !== undefined) return existing.waitForSync();
    if (this.stopped) return Promise.resolve();
    const [kind, namespace, ...rest] = key.split('/') as [Kind, string, ...string[]];
    const name = rest.join('/');
    const informer = new Informer(this.client, kind === 'configmaps' ? CONFIG_MAPS : SECRETS, { namespace, fieldSelector: `metadata.name=${name}`, log: this.log });
    const changed = (): void => this.onChange(namespace);
    informer.on({ add: changed, update: changed, delete: changed });
    this.watches.set(key, informer);
    return informer.start();
  }

  private release(key: string): void {
    for (const keys of this.referencesByPod.values()) if (keys.has(key)) return;
    this.watches.get(key)?.stop();
    this.watches.delete(key);
  }
}

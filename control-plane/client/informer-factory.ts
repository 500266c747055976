/**
 * Shared informers: one cache per kind (every namespace) for all the controllers of a
 * process, so that five controllers watching pods hold one copy of them and open one watch.
 */
import { resourceByName } from '../api/resources.js';
import type { ApiObject } from '../api/types.js';
import type { GrpcApiClient } from './grpc-api-client.js';
import { Informer } from './informer.js';

export class InformerFactory {
  private readonly informers = new Map<string, Informer>();
  private started = false;

  constructor(
    readonly client: GrpcApiClient,
    private readonly log?: (line: string) => void,
  ) {}

  /** The shared informer of `resource` (a plural, singular or short name: `pods`, `deploy`). */
  informer<T extends ApiObject = ApiObject>(resource: string): Informer<T> {
    const info = resourceByName(resource);
    if (info === undefined) throw new Error(`no such resource: ${resource}`);
    let informer = this.informers.get(info.plural);
    if (informer === undefined) {
      informer = new Informer(this.client, info, this.log !== undefined ? { log: this.log } : {});
      this.informers.set(info.plural, informer);
      if (this.started) void informer.start();
    }
    return informer as unknown as Informer<T>;
  }

  /** Starts every informer asked for so far (and those asked for later); resolves when all have listed once. */
  async start(): Promise<void> {
    this.started = true;
    await Promise.all([...this.informers.values()].map((informer) => informer.start()));
  }

  stop(): void {
    for (const informer of this.informers.values()) informer.stop();
  }
}

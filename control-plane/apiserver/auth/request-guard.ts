/**
 * The API server's gate, shared by its HTTP and gRPC front-ends: who is asking
 * (`authenticator.ts`) and whether they may (`--authorization-mode`):
 * - `AlwaysAllow` (the default of `balsa apiserver`/`balsa server`, for clusters without
 *   security): every request that authenticated (or came without credentials) is allowed;
 * - `RBAC`: `system:masters` may do everything; a node agent is first held to its own
 *   node's objects (`node-restriction.ts`); then the RBAC roles bound to the user decide
 *   (`rbac-authorizer.ts`). The default roles (`bootstrap-policy.ts`) are created at start.
 *
 * A refusal is 403 with Kubernetes' message (`request-attributes.ts`); the caches the
 * decisions read must have loaded before the server reports ready.
 */
import { resourceByName } from '../../api/resources.js';
import type { InformerSource } from '../../client/informer.js';
import { ApiError } from '../errors.js';
import type { Registry } from '../registry.js';
import { Authenticator } from './authenticator.js';
import type { Credentials } from './authenticator.js';
import { bootstrapPolicy } from './bootstrap-policy.js';
import { reconcileBootstrapObject } from './bootstrap-reconcile.js';
import { NodeRestriction } from './node-restriction.js';
import { RbacAuthorizer } from './rbac-authorizer.js';
import { forbiddenError } from './request-attributes.js';
import type { RequestAttributes, ResourceAttributes } from './request-attributes.js';
import { MASTERS_GROUP, nodeNameOf } from './user-info.js';
import type { UserInfo } from './user-info.js';

export const AUTHORIZATION_MODES = ['AlwaysAllow', 'RBAC'] as const;
export type AuthorizationMode = (typeof AUTHORIZATION_MODES)[number];

export interface RequestGuardOptions {
  /** Bearer token → user: the token file's lines and the in-process clients' token. */
  readonly tokens?: ReadonlyMap<string, UserInfo>;
  /** Default `AlwaysAllow`. */
  readonly authorizationMode?: AuthorizationMode;
  readonly log?: (line: string) => void;
}

const PODS = resourceByName('pods')!;

/** The registry as an informer's source: its list, and its watch with the events as clients see them. */
function registrySource(registry: Registry): InformerSource {
  return {
    list: (info, namespace, options) => registry.list(info, namespace, options),
    watch: (info, namespace, options, onEvent, onEnd) =>
      registry.watch(info, namespace, options, (event) => onEvent({ type: event.type, object: event.object }), onEnd),
  };
}

export class RequestGuard {
  private readonly authenticator: Authenticator;
  private readonly rbac: RbacAuthorizer | null;
  private readonly nodes: NodeRestriction | null;
  private readonly log: (line: string) => void;

  constructor(
    private readonly registry: Registry,
    options: RequestGuardOptions = {},
  ) {
    this.log = options.log ?? (() => {});
    this.authenticator = new Authenticator(options.tokens ?? new Map());
    const rbacMode = options.authorizationMode === 'RBAC';
    const source = registrySource(registry);
    this.rbac = rbacMode ? new RbacAuthorizer(source, options.log) : null;
    this.nodes = rbacMode
      ? new NodeRestriction(
          source,
          async (namespace, name) => {
            try {
              return await registry.get(PODS, namespace, name);
            } catch (error) {
              if (error instanceof ApiError && error.reason === 'NotFound') return undefined;
              throw error;
            }
          },
          options.log,
        )
      : null;
  }

  get mode(): AuthorizationMode {
    return this.rbac === null ? 'AlwaysAllow' : 'RBAC';
  }

  /** Creates the default roles that are missing, then loads the caches (RBAC mode; nothing to do otherwise). */
  async start(): Promise<void> {
    if (this.rbac === null) return;
    const policy = bootstrapPolicy();
    for (const object of [...policy.clusterRoles, ...policy.clusterRoleBindings]) {
      if ((await reconcileBootstrapObject(this.registry, object)) === 'updated') this.log(`rbac: brought ${object.kind} ${object.metadata.name} up to date with the default policy`);
    }
    await Promise.all([this.rbac.start(), this.nodes!.start()]);
  }

  /** Whether decisions can be made (the caches have loaded). */
  get ready(): boolean {
    return this.rbac === null || (this.rbac.synced && this.nodes!.synced);
  }

  stop(): void {
    this.rbac?.stop();
    this.nodes?.stop();
  }

  /** The user; 401 for credentials given but not good. */
  authenticate(credentials: Credentials): UserInfo {
    return this.authenticator.authenticate(credentials);
  }

  /** Resolves when the request is allowed; throws 403 (Kubernetes' message) when not. */
  async authorize(attributes: RequestAttributes): Promise<void> {
    if (this.rbac === null || attributes.user.groups.includes(MASTERS_GROUP)) return;
    if (!this.ready) throw ApiError.unavailable('the authorization caches are loading; try again shortly');
    const node = nodeNameOf(attributes.user);
    if (node !== undefined && attributes.resource !== undefined) {
      const why = await this.nodes!.check(node, attributes.verb, attributes.resource);
      if (why !== undefined) throw forbiddenError(attributes, why);
    }
    const decision = this.rbac.authorize(attributes);
    if (!decision.allowed) throw forbiddenError(attributes, decision.reason);
  }

  /** For a create, once its body is read: a node agent may create only its own Node and Lease. */
  checkCreate(user: UserInfo, resource: ResourceAttributes, body: unknown): void {
    const node = this.nodes === null || user.groups.includes(MASTERS_GROUP) ? undefined : nodeNameOf(user);
    if (node === undefined) return;
    const name = (body as { metadata?: { name?: unknown } } | null)?.metadata?.name;
    const why = this.nodes!.checkCreatedName(node, resource, typeof name === 'string' ? name : '');
    if (why !== undefined) throw forbiddenError({ user, verb: 'create', resource }, why);
  }
}

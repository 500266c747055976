/**
 * etcd's Watch service: one `WatchStream` of the hub per gRPC stream, its responses
 * written as they come (waiting for the stream to drain when gRPC's buffer is full).
 */
import type * as grpc from '@grpc/grpc-js';
import { AuthError } from '../../auth/index.js';
import { watchResponseFields } from '../../watch/index.js';
import type { WireObject } from '../etcd-proto.js';
import { etcdStatus, EtcdServerError } from '../etcd-errors.js';
import type { KvServerContext } from '../server-context.js';
import { wireEvent } from '../wire.js';
import { requesterOf } from './handlers.js';

export function watchService(context: KvServerContext): grpc.UntypedServiceImplementation {
  return { Watch: (call: grpc.ServerDuplexStream<WireObject, WireObject>) => watch(context, call) };
}

/** Whether the stream's caller may read what a watch asks for (no: an invalid token too, as in etcd). */
function watchPermitted(context: KvServerContext, metadata: grpc.Metadata, create: WireObject): boolean {
  try {
    const { user } = requesterOf(context, metadata);
    const key = (create.key as Uint8Array | undefined) ?? new Uint8Array(0);
    context.machine.auth.checkAccess(user, 'read', key, (create.rangeEnd as Uint8Array | undefined) ?? new Uint8Array(0));
    return true;
  } catch (error) {
    if (error instanceof AuthError) return false;
    throw error;
  }
}

function watch(context: KvServerContext, call: grpc.ServerDuplexStream<WireObject, WireObject>): void {
  if (context.isLearner()) {
    call.destroy(etcdStatus(new EtcdServerError('notSupportedForLearner')) as unknown as Error);
    return;
  }
  const stream = context.hub.openStream();
  const drain = (): void => {
    for (let response = stream.take(); response !== undefined; response = stream.take()) {
      const fields = watchResponseFields(response);
      const ok = call.write({
        header: context.header(fields.revision),
        watchId: fields.watchId,
        created: fields.created,
        canceled: fields.canceled,
        compactRevision: fields.compactRevision,
        cancelReason: fields.cancelReason,
        fragment: fields.fragment,
        events: fields.events.map(wireEvent),
      });
      if (!ok) {
        call.once('drain', drain);
        return;
      }
    }
  };
  stream.onReadable(() => setImmediate(drain));
  call.on('data', (request: WireObject) => {
    try {
      if (request.createRequest) {
        const c = request.createRequest as WireObject;
        if (!watchPermitted(context, call.metadata, c)) {
          // etcd answers a created-and-canceled watch, its reason the gRPC error's text.
          call.write({
            header: context.header(),
            watchId: Number(c.watchId ?? 0),
            created: true,
            canceled: true,
            cancelReason: `rpc error: code = PermissionDenied desc = ${new AuthError('PERMISSION_DENIED').message}`,
          });
          return;
        }
        const filters = Array.isArray(c.filters) ? (c.filters as string[]) : [];
        stream.create({
          key: (c.key as Uint8Array | undefined) ?? new Uint8Array(0),
          rangeEnd: (c.rangeEnd as Uint8Array | undefined) ?? new Uint8Array(0),
          startRevision: Number(c.startRevision ?? 0),
          filters: { noPut: filters.includes('NOPUT'), noDelete: filters.includes('NODELETE') },
          prevKv: c.prevKv === true,
          progressNotify: c.progressNotify === true,
          fragment: c.fragment === true,
          watchId: Number(c.watchId ?? 0),
        });
      } else if (request.cancelRequest) {
        stream.cancel(Number((request.cancelRequest as WireObject).watchId ?? 0));
      } else if (request.progressRequest) {
        stream.requestProgress();
      }
      drain();
    } catch (error) {
      call.destroy(etcdStatus(error) as unknown as Error);
    }
  });
  const close = (): void => stream.close();
  call.on('end', () => {
    close();
    call.end();
  });
  call.on('cancelled', close);
  call.on('error', close);
}

/**
 * gRPC's canonical status codes, the numbers every gRPC implementation shares. The data
 * layers (`mvcc/`, `lease/`, `auth/`) name the status etcd answers each of their errors with,
 * without depending on a gRPC library; the server hands the number to grpc-js as it is.
 */
export const GrpcStatus = {
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  FAILED_PRECONDITION: 9,
  OUT_OF_RANGE: 11,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

export type GrpcStatusCode = (typeof GrpcStatus)[keyof typeof GrpcStatus];

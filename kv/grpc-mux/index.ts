export { MuxClient, MUX_CLIENT_IN_FLIGHT_MAX } from './mux-client.js';
export type { MuxMode } from './mux-client.js';
export { MuxServer, MUX_SERVER_IN_FLIGHT_MAX, MUX_FRAME_LIMITS } from './mux-server.js';
export { MUX_EXCHANGE_PATH, MUX_PROTO } from './mux-proto.js';

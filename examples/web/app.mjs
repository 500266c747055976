// The demo web app and the node agent's test fixture: plain Node, no dependencies.
//
//   PORT               port to listen on (the process runtime sets it); HOST: address, default all
//   BALSA_IMAGE        what /version and / report (default web:dev); POD_NAME: who answers / (default hostname)
//   READY_AFTER_MS     /healthz is 503 until then
//   FAIL_AFTER_MS      /healthz is 503 from then on
//   CRASH_AFTER_MS     exit with EXIT_CODE (default 1) then
//   SHUTDOWN_DELAY_MS  on SIGTERM: log "shutting down", finish requests in flight, exit 0 after the delay
//   POST /fail, POST /recover   make /healthz fail / succeed from now on
import { createServer } from 'node:http';
import { hostname } from 'node:os';

const env = process.env;
const image = env.BALSA_IMAGE || 'web:dev';
const who = env.POD_NAME || hostname();
const startedAt = Date.now();
const ms = (name) => (env[name] === undefined || env[name] === '' ? undefined : Number(env[name]));

let failedByRequest = false;

function healthy() {
  const age = Date.now() - startedAt;
  if (failedByRequest) return false;
  if (ms('READY_AFTER_MS') !== undefined && age < ms('READY_AFTER_MS')) return false;
  if (ms('FAIL_AFTER_MS') !== undefined && age >= ms('FAIL_AFTER_MS')) return false;
  return true;
}

function reply(response, status, body) {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  response.end(body);
}

const server = createServer((request, response) => {
  const route = `${request.method} ${new URL(request.url, 'http://x').pathname}`;
  switch (route) {
    case 'GET /':
      return reply(response, 200, `hello from ${image} (${who})\n`);
    case 'GET /healthz':
      return healthy() ? reply(response, 200, 'ok') : reply(response, 503, 'unhealthy');
    case 'GET /version':
      return reply(response, 200, image);
    case 'POST /fail':
      failedByRequest = true;
      return reply(response, 200, 'failing');
    case 'POST /recover':
      failedByRequest = false;
      return reply(response, 200, 'recovered');
    default:
      return reply(response, 404, 'not found\n');
  }
});

const port = Number(env.PORT ?? 8080);
const onListening = () => console.log(`listening on ${server.address().port}`);
if (env.HOST) server.listen(port, env.HOST, onListening);
else server.listen(port, onListening);

if (ms('CRASH_AFTER_MS') !== undefined) {
  setTimeout(() => {
    console.log('crashing');
    process.exit(Number(env.EXIT_CODE ?? 1));
  }, ms('CRASH_AFTER_MS'));
}

process.on('SIGTERM', () => {
  console.log('shutting down');
  // New connections are refused; requests in flight finish (close waits for them).
  server.close();
  setTimeout(() => process.exit(0), ms('SHUTDOWN_DELAY_MS') ?? 0);
});

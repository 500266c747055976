/**
 * The API server's request series, under kube-apiserver's names and labels so that its
 * dashboards work: `apiserver_request_total{verb,group,version,resource,subresource,scope,component,code}`,
 * `apiserver_request_duration_seconds` (every request but the long-running WATCH and
 * CONNECT ones) and `apiserver_longrunning_requests` (the watches and log streams open).
 * Verbs as Kubernetes reports them: GET, LIST, WATCH, POST, PUT, PATCH, DELETE,
 * DELETECOLLECTION, CONNECT (a pod's log).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import { parseResourcePath } from './http-routes.js';

/** kube-apiserver's request latency buckets, in seconds. */
const REQUEST_BUCKETS_SECONDS = [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.25, 1.5, 1.75, 2, 2.5, 3, 3.5, 4, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60];

const LABELS = ['verb', 'group', 'version', 'resource', 'subresource', 'scope', 'component'] as const;
type RequestLabels = Record<(typeof LABELS)[number], string>;

export class ApiRequestMetrics {
  private readonly total: Counter;
  private readonly duration: Histogram;
  private readonly longRunning: Gauge;

  constructor(readonly registry: Registry) {
    const registers = [registry];
    this.total = new Counter({
      name: 'apiserver_request_total',
      help: 'Counter of apiserver requests broken out for each verb, group, version, resource, scope, component, and HTTP response code.',
      labelNames: [...LABELS, 'code'],
      registers,
    });
    this.duration = new Histogram({
      name: 'apiserver_request_duration_seconds',
      help: 'Response latency distribution in seconds for each verb, group, version, resource, subresource, scope and component.',
      labelNames: [...LABELS],
      buckets: REQUEST_BUCKETS_SECONDS,
      registers,
    });
    this.longRunning = new Gauge({
      name: 'apiserver_longrunning_requests',
      help: 'Gauge of all active long-running apiserver requests broken out by verb, group, version, resource, scope and component.',
      labelNames: [...LABELS],
      registers,
    });
  }

  /** Counts `request` once its answer is sent (or its connection gone); call as it arrives. */
  track(request: IncomingMessage, response: ServerResponse): void {
    const started = performance.now();
    const labels = requestLabels(request);
    const longRunning = labels.verb === 'WATCH' || labels.verb === 'CONNECT';
    if (longRunning) this.longRunning.inc(labels);
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      this.total.inc({ ...labels, code: String(response.statusCode) });
      if (longRunning) this.longRunning.dec(labels);
      else this.duration.observe(labels, (performance.now() - started) / 1000);
    };
    response.once('finish', finish);
    response.once('close', finish);
  }
}

/** Kubernetes' labels of a request, from its method and URL alone (a URL that names no resource has resource ""). */
function requestLabels(request: IncomingMessage): RequestLabels {
  const method = (request.method ?? 'GET').toUpperCase();
  const target = request.url ?? '/';
  const query = new URLSearchParams(target.includes('?') ? target.slice(target.indexOf('?') + 1) : '');
  let route = null;
  try {
    route = parseResourcePath(target.split('?')[0]!);
  } catch {
    // An unknown resource of a served group: counted as a request to no resource (it gets a 404).
  }
  const none: RequestLabels = { verb: method, group: '', version: '', resource: '', subresource: '', scope: '', component: 'apiserver' };
  if (route === null) return none;
  const watch = query.get('watch') === 'true' || query.get('watch') === '1';
  const collection = route.name === undefined;
  let verb = method;
  if (route.subresource === 'log') verb = 'CONNECT';
  else if (method === 'GET' && watch) verb = 'WATCH';
  else if (method === 'GET' && collection) verb = 'LIST';
  else if (method === 'DELETE' && collection) verb = 'DELETECOLLECTION';
  return {
    verb,
    group: route.info.group,
    version: route.info.version,
    resource: route.info.plural,
    subresource: route.subresource ?? '',
    scope: !collection ? 'resource' : route.namespace !== undefined ? 'namespace' : 'cluster',
    component: 'apiserver',
  };
}

/**
 * `balsa describe` against a fake API server: the object with the events the server holds
 * about it (selected by involvedObject), prefix matches when no name matches exactly, every
 * object of a kind, and kubectl's NotFound.
 */
import type { ApiObject } from '../../../control-plane/api/types.js';
import { FakeApiServer } from './fake-api-server.js';
import { runBalsa } from './cli-test-io.js';

let server: FakeApiServer;

function configMap(name: string): ApiObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data: { mode: name } };
}

beforeEach(async () => {
  server = await FakeApiServer.start({ objects: [configMap('web-config'), configMap('web-extra'), configMap('api-config')] });
  const uid = server.get('ConfigMap', 'default', 'web-config')!.metadata.uid!;
  server.store({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'web-config.1', namespace: 'default' },
    involvedObject: { kind: 'ConfigMap', name: 'web-config', namespace: 'default', uid },
    type: 'Normal',
    reason: 'Seen',
    message: 'looked at it',
    firstTimestamp: '2026-12-02T02:47:05Z',
    lastTimestamp: '2026-12-02T02:47:05Z',
    count: 1,
    source: { component: 'tester' },
  });
});

afterEach(async () => {
  await server.close();
});

test('one object with its events', async () => {
  const result = await runBalsa(server, ['describe', 'cm', 'web-config']);
  expect(result.code).toBe(0);
  expect(result.stdout).toBe(
    [
      'Name:               web-config',
      'Namespace:          default',
      'Labels:             <none>',
      'Annotations:        <none>',
      'CreationTimestamp:  Wed, 02 Dec 2026 01:47:50 +0000',
      '',
      'Data',
      '====',
      'mode:',
      '----',
      'web-config',
      'Events:',
      '  Type    Reason  Age   From    Message',
      '  ----    ------  ----  ----    -------',
      '  Normal  Seen    45s   tester  looked at it',
      '',
    ].join('\n'),
  );
  const eventsRequest = server.requests.find((request) => request.path === '/api/v1/namespaces/default/events')!;
  expect(eventsRequest.query.get('fieldSelector')).toBe('involvedObject.name=web-config,involvedObject.kind=ConfigMap');
});

test('a prefix describes every match; a kind alone describes all; a miss is NotFound', async () => {
  const prefixed = await runBalsa(server, ['describe', 'configmaps', 'web']);
  expect(prefixed.code).toBe(0);
  expect(prefixed.stdout.match(/^Name: +\S+$/gm)).toEqual(['Name:               web-config', 'Name:               web-extra']);
  // kubectl's separator: two blank lines between objects.
  expect(prefixed.stdout).toContain('looked at it\n\n\nName:               web-extra\n');
  expect((await runBalsa(server, ['describe', 'cm'])).stdout.match(/^Name: +\S+$/gm)).toHaveLength(3);
  expect(await runBalsa(server, ['describe', 'cm', 'nope'])).toEqual({ code: 1, stdout: '', stderr: 'Error from server (NotFound): configmaps "nope" not found\n' });
  expect(await runBalsa(server, ['describe', 'deploy'])).toEqual({ code: 0, stdout: '', stderr: 'No resources found in default namespace.\n' });
});

/**
 * `-f` reads what kubectl reads: YAML with several documents, JSON, `List`s flattened,
 * folders (their manifest files in name order), stdin; and refuses, naming the file and
 * document, paths that do not exist, text that does not parse and objects without
 * apiVersion or kind.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { CliError } from '../../../control-plane/cli/errors.js';
import { parseManifests, readManifests } from '../../../control-plane/cli/manifests.js';

let directory: string;

beforeEach(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'balsa-manifests-'));
});

afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

const noStdin = async (): Promise<string> => {
  throw new Error('stdin not expected');
};

async function messageOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(CliError);
    return (error as Error).message;
  }
  throw new Error('expected a CliError');
}

test('multi-document YAML, empty documents skipped', () => {
  const text = ['---', 'apiVersion: v1', 'kind: ConfigMap', 'metadata:', '  name: a', 'data:', '  port: "80"', '---', '---', 'apiVersion: apps/v1', 'kind: Deployment', 'metadata: {name: web}', ''].join('\n');
  const objects = parseManifests(text, 'app.yaml');
  expect(objects.map((object) => `${object.kind}/${object.metadata.name}`)).toEqual(['ConfigMap/a', 'Deployment/web']);
  expect(objects[0]!.data).toEqual({ port: '80' });
});

test('JSON, and List (typed or not) flattened to its items', () => {
  const list = {
    apiVersion: 'v1',
    kind: 'List',
    items: [
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a' } },
      { apiVersion: 'v1', kind: 'PodList', items: [{ metadata: { name: 'b' } }] },
    ],
  };
  const objects = parseManifests(JSON.stringify(list), 'list.json', 'json');
  expect(objects.map((object) => `${object.apiVersion} ${object.kind}/${object.metadata.name}`)).toEqual(['v1 Pod/a', 'v1 Pod/b']);
  expect(parseManifests('apiVersion: v1\nkind: Namespace\n', 'ns.yaml')[0]!.metadata).toEqual({});
});

test('a folder: its .yaml, .yml and .json files in name order, nothing else', async () => {
  await writeFile(path.join(directory, 'b.yml'), 'apiVersion: v1\nkind: Pod\nmetadata: {name: b}\n');
  await writeFile(path.join(directory, 'a.json'), '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a"}}');
  await writeFile(path.join(directory, 'c.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata: {name: c}\n');
  await writeFile(path.join(directory, 'README.md'), '# not a manifest');
  await mkdir(path.join(directory, 'nested'));
  await writeFile(path.join(directory, 'nested', 'd.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata: {name: d}\n');
  const manifests = await readManifests([directory], noStdin);
  expect(manifests.map((manifest) => [path.basename(manifest.source), manifest.object.metadata.name])).toEqual([
    ['a.json', 'a'],
    ['b.yml', 'b'],
    ['c.yaml', 'c'],
  ]);
});

test('- reads stdin, named STDIN; -f repeats in order', async () => {
  const file = path.join(directory, 'one.yaml');
  await writeFile(file, 'apiVersion: v1\nkind: Pod\nmetadata: {name: one}\n');
  const manifests = await readManifests([file, '-'], async () => 'apiVersion: v1\nkind: Pod\nmetadata: {name: two}\n');
  expect(manifests.map((manifest) => [manifest.source, manifest.object.metadata.name])).toEqual([
    [file, 'one'],
    ['STDIN', 'two'],
  ]);
});

test('errors name the path, the file and the document', async () => {
  const missing = path.join(directory, 'missing.yaml');
  expect(await messageOf(readManifests([missing], noStdin))).toBe(`the path "${missing}" does not exist`);
  expect(await messageOf(readManifests([directory], noStdin))).toMatch(/no manifest files in it \(recognized file extensions are \[\.json \.yaml \.yml\]\)/);
  const bad = path.join(directory, 'bad.yaml');
  await writeFile(bad, 'apiVersion: v1\nkind: Pod\nmetadata: {name: [unclosed\n');
  expect(await messageOf(readManifests([bad], noStdin))).toMatch(new RegExp(`^error parsing "${bad}": .*line`));
  expect(() => parseManifests('{"kind": "Pod"', 'pod.json', 'json')).toThrow(/^error parsing "pod.json": /);
  expect(() => parseManifests('apiVersion: v1\nkind: Pod\n---\nmetadata: {name: x}\n', 'two.yaml')).toThrow(
    'error validating "two.yaml" (document 2): apiVersion not set, kind not set',
  );
  expect(() => parseManifests('- a\n- b\n', 'seq.yaml')).toThrow(/error validating "seq.yaml": expected an object/);
});

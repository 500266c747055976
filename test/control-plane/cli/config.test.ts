/**
 * The API server address comes from --server, else BALSA_SERVER, else the config file
 * ($BALSA_CONFIG, else ~/.balsa/config.json); with none, the error says all three ways. The
 * file is written atomically and read back.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { cliConfigPath, readCliConfig, resolveServer, writeCliConfig } from '../../../control-plane/cli/config.js';

let home: string;

beforeEach(async () => {
  home = await mkdtemp(path.join(tmpdir(), 'balsa-config-'));
});

afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

test('the config file is $BALSA_CONFIG, else ~/.balsa/config.json', () => {
  expect(cliConfigPath({}, '/home/me')).toBe('/home/me/.balsa/config.json');
  expect(cliConfigPath({ BALSA_CONFIG: '/etc/balsa.json' }, '/home/me')).toBe('/etc/balsa.json');
});

test('write then read, creating the folder', async () => {
  const file = path.join(home, '.balsa', 'config.json');
  await writeCliConfig({ server: 'http://127.0.0.1:6443' }, file);
  expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ server: 'http://127.0.0.1:6443' });
  expect(await readCliConfig(file)).toEqual({ server: 'http://127.0.0.1:6443' });
  expect(await readCliConfig(path.join(home, 'absent.json'))).toEqual({});
});

test('order: flag, then environment, then file', async () => {
  await writeCliConfig({ server: 'http://file:1' }, path.join(home, '.balsa', 'config.json'));
  const env = { BALSA_SERVER: 'http://env:2/' };
  expect(await resolveServer({ flag: 'http://flag:3', env, homeDirectory: home })).toEqual({ server: 'http://flag:3', source: 'flag' });
  expect(await resolveServer({ env, homeDirectory: home })).toEqual({ server: 'http://env:2', source: 'env' });
  expect(await resolveServer({ env: {}, homeDirectory: home })).toEqual({ server: 'http://file:1', source: 'config' });
  const other = path.join(home, 'other.json');
  await writeCliConfig({ server: 'http://other:4' }, other);
  expect(await resolveServer({ env: { BALSA_CONFIG: other }, homeDirectory: home })).toEqual({ server: 'http://other:4', source: 'config' });
});

test('none set: the message gives the three ways', async () => {
  await expect(resolveServer({ env: {}, homeDirectory: home })).rejects.toThrow(
    `no API server address: pass --server URL, set BALSA_SERVER=URL, or write {"server": "http://127.0.0.1:6443"} to ${home}/.balsa/config.json (or to the file BALSA_CONFIG names)`,
  );
});

test('bad addresses and bad files are named', async () => {
  await expect(resolveServer({ flag: '127.0.0.1:6443', env: {} })).rejects.toThrow(/invalid API server address "127.0.0.1:6443" \(from --server\)/);
  await expect(resolveServer({ env: { BALSA_SERVER: 'nope' } })).rejects.toThrow(/from BALSA_SERVER/);
  const broken = path.join(home, 'broken.json');
  await writeFile(broken, '{"server": ');
  await expect(readCliConfig(broken)).rejects.toThrow(`the config file ${broken} is not valid JSON`);
  await writeFile(broken, '{"server": 6443}');
  await expect(readCliConfig(broken)).rejects.toThrow(`the config file ${broken}: "server" must be a string, not 6443`);
});

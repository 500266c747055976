/** Path translation of the process runtime's volumes: nested mounts, path boundaries, a mount at `/`. */
import { describe, expect, it } from '@jest/globals';
import { containerArgv, envSuffix, pathMappings, translatePath } from '../../../node-agent/runtime/process/container-environment.js';

describe('path translation', () => {
  const mappings = pathMappings([
    { name: 'data', mountPath: '/data/', hostPath: '/host/data', readOnly: false },
    { name: 'cache', mountPath: '/data/cache', hostPath: '/host/cache', readOnly: false },
    { name: 'root', mountPath: '/', hostPath: '/host/root', readOnly: false },
  ]);

  it('translates the deepest mount first, only at path boundaries, and never through a mount at /', () => {
    expect(translatePath('/data/cache/x', mappings)).toBe('/host/cache/x');
    expect(translatePath('/data/x', mappings)).toBe('/host/data/x');
    expect(translatePath('/data', mappings)).toBe('/host/data');
    expect(translatePath('/datafile', mappings)).toBe('/datafile');
    expect(translatePath('/usr/bin/node', mappings)).toBe('/usr/bin/node');
    expect(translatePath('--out=/data/x', mappings)).toBe('--out=/data/x');
  });

  it('runs command then args, args[0] being the executable without a command', () => {
    expect(containerArgv({ command: ['cat'], args: ['/data/f'] }, mappings)).toEqual(['cat', '/host/data/f']);
    expect(containerArgv({ command: [], args: ['ls', '/data'] }, mappings)).toEqual(['ls', '/host/data']);
  });

  it('makes environment names of port and volume names', () => {
    expect(envSuffix('metrics-http')).toBe('METRICS_HTTP');
    expect(envSuffix('config.v1')).toBe('CONFIG_V1');
  });
});

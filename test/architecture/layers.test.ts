/**
 * Proves the dependency direction of ARCHITECTURE.md (`proto` ← `raft` ← `kv` ←
 * `control-plane` ← `node-agent`, nothing importing `test/` or `bench/`) and the purity of
 * the Raft core (no I/O, timers, clocks or ambient randomness). The rules are first shown
 * to bite on in-memory fakes, then applied to the real source tree.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { checkFile, classifyPath, findViolations, mayImport, parseImports, resolveImport } from './import-rules.js';
import type { SourceFile, Violation } from './import-rules.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SOURCE_FOLDERS = ['proto', 'raft', 'kv', 'control-plane', 'node-agent', 'cmd', 'test', 'bench', 'examples'];
const SOURCE_EXTENSIONS = /\.(ts|tsx|mts|cts|js|mjs|cjs)$/;
const SKIPPED_DIRECTORIES = new Set(['node_modules', 'dist', 'coverage']);

function listSourceFiles(directory: string): string[] {
  let entries;
  try {
    entries = readdirSync(path.join(REPO_ROOT, directory), { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return entries.flatMap((entry) => {
    const child = `${directory}/${entry.name}`;
    if (entry.isDirectory()) return SKIPPED_DIRECTORIES.has(entry.name) ? [] : listSourceFiles(child);
    return entry.isFile() && SOURCE_EXTENSIONS.test(entry.name) ? [child] : [];
  });
}

function readSourceTree(): SourceFile[] {
  return SOURCE_FOLDERS.flatMap(listSourceFiles).map((file) => ({
    path: file,
    text: readFileSync(path.join(REPO_ROOT, file), 'utf8'),
  }));
}

function render(violations: readonly Violation[]): string {
  return violations.map((v) => `${v.file}:${v.line} [${v.rule}] ${v.message}`).join('\n');
}

function rulesBroken(file: SourceFile): string[] {
  return checkFile(file).map((v) => v.rule);
}

describe('import parsing', () => {
  it('sees static, re-export, type-only, dynamic, require and import-type forms with their lines', () => {
    const text = [
      "import { a } from './a.js';",
      "import type { B } from '../b.js';",
      "export { c } from './c.js';",
      "export * from './d.js';",
      "const e = await import('./e.js');",
      "import f = require('./f.js');",
      "type G = import('./g.js').G;",
      "import './side-effect.js';",
      "// import { h } from './in-a-comment.js';",
      "const s = \"import { i } from './in-a-string.js'\";",
    ].join('\n');
    expect(parseImports('raft/x.ts', text)).toEqual([
      { specifier: './a.js', line: 1 },
      { specifier: '../b.js', line: 2 },
      { specifier: './c.js', line: 3 },
      { specifier: './d.js', line: 4 },
      { specifier: './e.js', line: 5 },
      { specifier: './f.js', line: 6 },
      { specifier: './g.js', line: 7 },
      { specifier: './side-effect.js', line: 8 },
    ]);
  });

  it('resolves relative, package-name, builtin and third-party specifiers', () => {
    expect(resolveImport('raft/core/log.ts', '../../kv/mvcc/store.js')).toEqual({ kind: 'repo', path: 'kv/mvcc/store.js' });
    expect(resolveImport('raft/core/log.ts', './types.js')).toEqual({ kind: 'repo', path: 'raft/core/types.js' });
    expect(resolveImport('raft/a.ts', '../../outside.js')).toEqual({ kind: 'outside' });
    expect(resolveImport('raft/a.ts', 'balsa/kv')).toEqual({ kind: 'repo', path: 'kv' });
    expect(resolveImport('raft/a.ts', 'node:fs')).toEqual({ kind: 'builtin', name: 'fs' });
    expect(resolveImport('raft/a.ts', 'net')).toEqual({ kind: 'builtin', name: 'net' });
    expect(resolveImport('raft/a.ts', 'msgpackr')).toEqual({ kind: 'package', name: 'msgpackr' });
  });

  it('classifies paths into layers and orders them', () => {
    expect(classifyPath('raft/core/raft.ts')).toBe('raft');
    expect(classifyPath('control-plane/scheduler/x.ts')).toBe('control-plane');
    expect(classifyPath('eslint.config.js')).toBeUndefined();
    expect(mayImport('kv', 'raft')).toBe(true);
    expect(mayImport('kv', 'proto')).toBe(true);
    expect(mayImport('raft', 'kv')).toBe(false);
    expect(mayImport('proto', 'raft')).toBe(false);
    expect(mayImport('control-plane', 'node-agent')).toBe(false);
    expect(mayImport('node-agent', 'control-plane')).toBe(true);
    expect(mayImport('cmd', 'node-agent')).toBe(true);
    expect(mayImport('node-agent', 'cmd')).toBe(false);
    expect(mayImport('raft', 'test')).toBe(false);
    expect(mayImport('node-agent', 'bench')).toBe(false);
    expect(mayImport('test', 'node-agent')).toBe(true);
    expect(mayImport('bench', 'test')).toBe(true);
    expect(mayImport('examples', 'raft')).toBe(true);
    expect(mayImport('examples', 'test')).toBe(false);
  });
});

describe('the rules bite on fake files', () => {
  it('refuses a lower layer importing a higher one, by relative path or package name', () => {
    expect(rulesBroken({ path: 'raft/a.ts', text: "import { b } from '../kv/b.js';" })).toEqual(['layer']);
    expect(rulesBroken({ path: 'raft/a.ts', text: "export { b } from '../kv/b.js';" })).toEqual(['layer']);
    expect(rulesBroken({ path: 'raft/a.ts', text: "const b = await import('../kv/b.js');" })).toEqual(['layer']);
    expect(rulesBroken({ path: 'raft/a.ts', text: "import { b } from 'balsa/kv';" })).toEqual(['layer']);
    expect(rulesBroken({ path: 'kv/a.ts', text: "import { b } from '../control-plane/b.js';" })).toEqual(['layer']);
    expect(rulesBroken({ path: 'proto/a.ts', text: "import type { B } from '../raft/b.js';" })).toEqual(['layer']);
  });

  it('refuses product code importing test or bench code', () => {
    expect(rulesBroken({ path: 'kv/a.ts', text: "import { h } from '../test/helpers.js';" })).toEqual(['layer']);
    expect(rulesBroken({ path: 'raft/a.ts', text: "import { r } from '../bench/run.js';" })).toEqual(['layer']);
  });

  it('refuses I/O, timers, clocks and ambient randomness in raft/core', () => {
    const uses = [
      'export const t = Date.now();',
      'export const r = Math.random();',
      "export const r = Math['random']();",
      'setTimeout(() => {}, 1);',
      'setInterval(() => {}, 1);',
      'setImmediate(() => {});',
      'queueMicrotask(() => {});',
      'export const t = performance.now();',
      'export const e = process.env;',
      "export const fs = require('fs');",
      'globalThis.setTimeout(() => {}, 1);',
      'export function f(d: Date): number { return d.getTime(); }',
    ];
    for (const text of uses) {
      expect({ text, rules: rulesBroken({ path: 'raft/core/x.ts', text }) }).toEqual({
        text,
        rules: expect.arrayContaining(['core-purity']),
      });
    }
  });

  it('refuses builtins, packages and other raft folders as imports of raft/core', () => {
    const imports = [
      "import { readFileSync } from 'node:fs';",
      "import { readFileSync } from 'fs';",
      "import { createServer } from 'net';",
      "import { randomInt } from 'crypto';",
      "import { pack } from 'msgpackr';",
      "import { MemoryStorage } from '../storage/memory-storage.js';",
      "import { RaftNode } from '../node.js';",
    ];
    for (const text of imports) {
      expect({ text, rules: rulesBroken({ path: 'raft/core/x.ts', text }) }).toEqual({ text, rules: ['core-import'] });
    }
  });

  it('reports the line of the offence', () => {
    const text = "import type { Entry } from './types.js';\n\nexport const now = (): number => Date.now();\n";
    expect(checkFile({ path: 'raft/core/x.ts', text })).toEqual([
      expect.objectContaining({ file: 'raft/core/x.ts', line: 3, rule: 'core-purity' }),
    ]);
  });

  it('accepts a clean core file, whatever its comments, strings and property names say', () => {
    const text = [
      "import type { LogStorage } from '../storage/log-storage.js';",
      "import { limitSize } from '../storage/log-storage.js';",
      "import type { Entry } from './types.js';",
      '/**',
      ' * Never calls Date.now(), Math.random(), setTimeout or process.env; time is ticks.',
      ' * import { x } from "node:fs";',
      ' */',
      '// performance: see queueMicrotask in the driver, and require(…) nothing.',
      "export const label = 'Date.now() and setTimeout are for the driver';",
      'export interface Stats { readonly process: number; readonly Date: string; performance(): void }',
      'export function size(stats: { process: number }, storage: LogStorage, entries: Entry[]): number {',
      '  const options = { performance: 1, setTimeout: 2 };',
      '  return stats.process + options.performance + limitSize(entries, 10).length + storage.lastIndex();',
      '}',
    ].join('\n');
    expect(checkFile({ path: 'raft/core/clean.ts', text })).toEqual([]);
  });

  it('lets code outside raft/core use time, and higher layers import lower ones', () => {
    const driver = "import { setTimeout } from 'node:timers/promises';\nDate.now();";
    expect(checkFile({ path: 'raft/node.ts', text: driver })).toEqual([]);
    const server = "import { RaftNode } from '../raft/node.js';\nimport 'balsa/raft';";
    expect(checkFile({ path: 'kv/server.ts', text: server })).toEqual([]);
    expect(checkFile({ path: 'test/kv/x.test.ts', text: "import { s } from '../../node-agent/a.js';" })).toEqual([]);
    expect(checkFile({ path: 'bench/a.ts', text: "import { h } from '../test/helpers.js';" })).toEqual([]);
  });
});

describe('the source tree', () => {
  const files = readSourceTree();

  it('is found by the walker', () => {
    const paths = files.map((file) => file.path);
    expect(paths).toContain('raft/storage/log-storage.ts');
    expect(paths).toContain('test/architecture/layers.test.ts');
  });

  it('follows the layering and keeps raft/core pure', () => {
    const violations = findViolations(files);
    if (violations.length > 0) {
      throw new Error(`${violations.length} architecture violation(s):\n${render(violations)}`);
    }
  });
});

/**
 * The architecture rules of ARCHITECTURE.md as pure functions over in-memory files, so
 * that the test can prove they bite on fakes before trusting them on the real tree.
 *
 * 1. Layers: `proto` ← `raft` ← `kv` ← `control-plane` ← `node-agent` ← `cmd` (the `balsa`
 *    command, which starts any of them). A lower layer
 *    never imports a higher one; nothing outside `test/` and `bench/` imports them.
 * 2. The Raft core is pure: no I/O, timers, clocks or ambient randomness, and it imports
 *    only itself and the `LogStorage` contract.
 *
 * Files are parsed with the TypeScript compiler, so comments and string contents never
 * count as uses, and every form of import is seen: `import`, `export … from`, dynamic
 * `import()`, `import x = require()`, `require()` and `import('…').Type`.
 */
import path from 'node:path';
import ts from 'typescript';

/** A source file, its path relative to the repository root with `/` separators. */
export interface SourceFile {
  readonly path: string;
  readonly text: string;
}

export type ViolationRule = 'layer' | 'core-import' | 'core-purity';

export interface Violation {
  /** The offending file, relative to the repository root. */
  readonly file: string;
  /** 1-based line of the offending import or use. */
  readonly line: number;
  readonly rule: ViolationRule;
  readonly message: string;
}

/** The product layers, lowest first: each may import itself and those before it. */
export const LAYERS = ['proto', 'raft', 'kv', 'control-plane', 'node-agent', 'cmd'] as const;
export type Layer = (typeof LAYERS)[number];

/** Folders outside the layering: they may import any layer. */
export const CONSUMER_AREAS = ['test', 'bench', 'examples'] as const;
export type Area = Layer | (typeof CONSUMER_AREAS)[number];

/** The areas only `test/` and `bench/` themselves may import. */
const TEST_ONLY_AREAS: readonly Area[] = ['test', 'bench'];

/** The package's own name: `balsa/kv` is the `kv` layer. */
export const PACKAGE_NAME = 'balsa';

/** Files that must be pure: the Raft core and the one contract it imports. */
export const CORE_DIRECTORY = 'raft/core/';
export const CORE_ALLOWED_IMPORTS: readonly string[] = ['raft/storage/log-storage'];

/** Node built-in modules the core must not import (any `node:` specifier is refused too). */
export const NODE_BUILTINS: ReadonlySet<string> = new Set([
  'fs', 'fs/promises', 'net', 'http', 'http2', 'https', 'dgram', 'child_process', 'worker_threads',
  'os', 'process', 'timers', 'timers/promises', 'crypto', 'perf_hooks', 'cluster', 'tls', 'dns',
  'dns/promises', 'readline', 'stream', 'stream/promises', 'path', 'url', 'util', 'events', 'buffer',
  'zlib', 'async_hooks', 'v8', 'vm', 'module', 'inspector', 'diagnostics_channel',
]);

/** Ambient globals that are I/O, time or randomness; the core gets these injected instead. */
export const FORBIDDEN_CORE_GLOBALS: ReadonlySet<string> = new Set([
  'Date', 'setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval',
  'clearImmediate', 'queueMicrotask', 'performance', 'process', 'require', 'crypto', 'fetch',
]);

/** `object.member` pairs forbidden in the core on top of the globals above. */
export const FORBIDDEN_CORE_MEMBERS: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  ['Math', new Set(['random'])],
]);

/** Names through which a forbidden global can be reached as a member. */
const GLOBAL_OBJECTS: ReadonlySet<string> = new Set(['globalThis', 'global', 'window', 'self']);

export interface ImportReference {
  /** The module specifier as written. */
  readonly specifier: string;
  readonly line: number;
}

/** Every module specifier `text` refers to, in order of appearance. */
export function parseImports(fileName: string, text: string): ImportReference[] {
  const sourceFile = parse(fileName, text);
  const imports: ImportReference[] = [];
  const add = (literal: ts.Node): void => {
    if (ts.isStringLiteralLike(literal)) {
      imports.push({ specifier: literal.text, line: lineOf(sourceFile, literal) });
    }
  };
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
      add(node.moduleSpecifier);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node.moduleReference.expression);
    } else if (ts.isCallExpression(node) && isImportOrRequireCall(node) && node.arguments.length > 0) {
      add(node.arguments[0]!);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node.argument.literal);
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return imports;
}

/** The area a repository-relative path lies in, or undefined for files outside them all. */
export function classifyPath(repoPath: string): Area | undefined {
  const top = repoPath.split('/')[0]!;
  return isArea(top) ? top : undefined;
}

export type ResolvedImport =
  /** A file in this repository, relative to its root. */
  | { readonly kind: 'repo'; readonly path: string }
  /** A path that climbs above the repository root. */
  | { readonly kind: 'outside' }
  /** A Node built-in module. */
  | { readonly kind: 'builtin'; readonly name: string }
  /** A third-party package. */
  | { readonly kind: 'package'; readonly name: string };

/** Where `specifier`, imported from the repository file `importer`, lands. */
export function resolveImport(importer: string, specifier: string): ResolvedImport {
  if (specifier.startsWith('./') || specifier.startsWith('../') || specifier === '.' || specifier === '..') {
    const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(importer), specifier));
    return resolved === '..' || resolved.startsWith('../') ? { kind: 'outside' } : { kind: 'repo', path: resolved };
  }
  if (specifier.startsWith('/')) return { kind: 'outside' };
  if (specifier.startsWith('node:')) return { kind: 'builtin', name: specifier.slice('node:'.length) };
  if (NODE_BUILTINS.has(specifier)) return { kind: 'builtin', name: specifier };
  if (specifier === PACKAGE_NAME) return { kind: 'repo', path: '' };
  if (specifier.startsWith(`${PACKAGE_NAME}/`)) return { kind: 'repo', path: specifier.slice(PACKAGE_NAME.length + 1) };
  return { kind: 'package', name: specifier };
}

/** Whether code in `from` may import code in `to` (see the module comment). */
export function mayImport(from: Area, to: Area): boolean {
  if (from === to) return true;
  if (TEST_ONLY_AREAS.includes(to)) return TEST_ONLY_AREAS.includes(from);
  if (to === 'examples') return from === 'test';
  if (!isLayer(from)) return true;
  return isLayer(to) && LAYERS.indexOf(to) <= LAYERS.indexOf(from);
}

/** Every broken rule in `files`. */
export function findViolations(files: readonly SourceFile[]): Violation[] {
  return files.flatMap((file) => checkFile(file));
}

/** The broken rules of one file. */
export function checkFile(file: SourceFile): Violation[] {
  const violations: Violation[] = [];
  const area = classifyPath(file.path);
  const pure = isPureFile(file.path);
  for (const reference of parseImports(file.path, file.text)) {
    const resolved = resolveImport(file.path, reference.specifier);
    if (area !== undefined) violations.push(...checkLayer(file.path, area, reference, resolved));
    if (pure) violations.push(...checkCoreImport(file.path, reference, resolved));
  }
  if (pure) violations.push(...checkCorePurity(file));
  return violations;
}

/** The Raft core, and the contract it may import, must be free of I/O, time and randomness. */
export function isPureFile(repoPath: string): boolean {
  return repoPath.startsWith(CORE_DIRECTORY) || CORE_ALLOWED_IMPORTS.includes(withoutExtension(repoPath));
}

function checkLayer(file: string, area: Area, reference: ImportReference, resolved: ResolvedImport): Violation[] {
  const violation = (message: string): Violation[] => [{ file, line: reference.line, rule: 'layer', message }];
  if (resolved.kind === 'outside') return violation(`'${reference.specifier}' reaches outside the repository`);
  if (resolved.kind !== 'repo') return [];
  const target = classifyPath(resolved.path);
  if (target === undefined || mayImport(area, target)) return [];
  return violation(`${area} must not import ${target} ('${reference.specifier}')`);
}

function checkCoreImport(file: string, reference: ImportReference, resolved: ResolvedImport): Violation[] {
  const violation = (message: string): Violation[] => [{ file, line: reference.line, rule: 'core-import', message }];
  switch (resolved.kind) {
    case 'builtin':
      return violation(`the Raft core must not import the Node built-in '${reference.specifier}' (no I/O, timers or clocks)`);
    case 'package':
      return violation(`the Raft core must not import the package '${reference.specifier}'`);
    case 'outside':
      return violation(`'${reference.specifier}' reaches outside the repository`);
    case 'repo': {
      const target = withoutExtension(resolved.path);
      if (`${target}/`.startsWith(CORE_DIRECTORY) || CORE_ALLOWED_IMPORTS.includes(target)) return [];
      const allowed = [`${CORE_DIRECTORY}**`, ...CORE_ALLOWED_IMPORTS].join(', ');
      return violation(`the Raft core may import only ${allowed}; found '${reference.specifier}'`);
    }
    default:
      return unreachable(resolved);
  }
}

/** Uses of forbidden globals: identifiers in expression or type position, never comments or strings. */
function checkCorePurity(file: SourceFile): Violation[] {
  const sourceFile = parse(file.path, file.text);
  const violations: Violation[] = [];
  const report = (node: ts.Node, what: string): void => {
    violations.push({
      file: file.path,
      line: lineOf(sourceFile, node),
      rule: 'core-purity',
      message: `the Raft core must not use ${what} (no I/O, timers, clocks or ambient randomness; inject them)`,
    });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node) && FORBIDDEN_CORE_GLOBALS.has(node.text) && refersToGlobal(node)) {
      report(node, `'${node.text}'`);
    } else if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression)) {
      const object = node.expression.text;
      const member = node.name.text;
      if (FORBIDDEN_CORE_MEMBERS.get(object)?.has(member)) report(node, `'${object}.${member}'`);
      if (GLOBAL_OBJECTS.has(object) && FORBIDDEN_CORE_GLOBALS.has(member)) report(node, `'${object}.${member}'`);
    } else if (
      ts.isElementAccessExpression(node) &&
      ts.isIdentifier(node.expression) &&
      ts.isStringLiteralLike(node.argumentExpression)
    ) {
      const object = node.expression.text;
      const member = node.argumentExpression.text;
      if (FORBIDDEN_CORE_MEMBERS.get(object)?.has(member)) report(node, `'${object}['${member}']'`);
      if (GLOBAL_OBJECTS.has(object) && FORBIDDEN_CORE_GLOBALS.has(member)) report(node, `'${object}['${member}']'`);
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return violations;
}

/**
 * False when the identifier only names something (a property, a member, a declaration)
 * rather than referring to the global of that name: `status.process`, `{ performance: 1 }`
 * and `interface X { Date: number }` are all fine.
 */
function refersToGlobal(node: ts.Identifier): boolean {
  const parent = node.parent;
  if (ts.isPropertyAccessExpression(parent) && parent.name === node) return false;
  if (ts.isQualifiedName(parent) && parent.right === node) return false;
  if (
    (ts.isPropertyAssignment(parent) ||
      ts.isPropertyDeclaration(parent) ||
      ts.isPropertySignature(parent) ||
      ts.isMethodDeclaration(parent) ||
      ts.isMethodSignature(parent) ||
      ts.isGetAccessorDeclaration(parent) ||
      ts.isSetAccessorDeclaration(parent) ||
      ts.isEnumMember(parent) ||
      ts.isBindingElement(parent)) &&
    parent.name === node
  ) {
    return false;
  }
  if (ts.isBindingElement(parent) && parent.propertyName === node) return false;
  if ((ts.isImportSpecifier(parent) || ts.isExportSpecifier(parent)) && parent.propertyName === node) return false;
  if (ts.isLabeledStatement(parent) || ts.isBreakOrContinueStatement(parent)) return false;
  return true;
}

function isImportOrRequireCall(node: ts.CallExpression): boolean {
  if (node.expression.kind === ts.SyntaxKind.ImportKeyword) return true;
  return ts.isIdentifier(node.expression) && node.expression.text === 'require';
}

function parse(fileName: string, text: string): ts.SourceFile {
  return ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, scriptKind(fileName));
}

function scriptKind(fileName: string): ts.ScriptKind {
  if (fileName.endsWith('.tsx')) return ts.ScriptKind.TSX;
  if (/\.[cm]?js$/.test(fileName)) return ts.ScriptKind.JS;
  return ts.ScriptKind.TS;
}

function lineOf(sourceFile: ts.SourceFile, node: ts.Node): number {
  return sourceFile.getLineAndCharacterOfPosition(node.getStart(sourceFile)).line + 1;
}

/** `raft/core/log.js`, `raft/core/log.ts` and `raft/core/log` all name `raft/core/log`. */
function withoutExtension(repoPath: string): string {
  return repoPath.replace(/\.d\.[cm]?ts$/, '').replace(/\.([cm]?[jt]s|tsx|jsx)$/, '');
}

function isArea(name: string): name is Area {
  return isLayer(name) || (CONSUMER_AREAS as readonly string[]).includes(name);
}

function isLayer(name: string): name is Layer {
  return (LAYERS as readonly string[]).includes(name);
}

function unreachable(value: never): never {
  throw new Error(`unreachable: ${JSON.stringify(value)}`);
}

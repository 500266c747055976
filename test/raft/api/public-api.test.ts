/**
 * The library's public face: `balsa/raft` resolves through the package's `exports` to the
 * built index, which offers what the README promises, and every symbol it exports carries
 * TSDoc (the contract lives on the types).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import ts from 'typescript';

const ROOT = process.cwd();

test('`import { RaftNode, LevelStorage, GrpcTransport, MemoryStorage, MemoryTransport } from "balsa/raft"` works from plain Node', () => {
  const script = `
    import { RaftNode, LevelStorage, GrpcTransport, MemoryStorage, MemoryTransport, MemoryNetwork, RaftError } from 'balsa/raft';
    const kinds = [RaftNode, LevelStorage, GrpcTransport, MemoryStorage, MemoryTransport, MemoryNetwork, RaftError].map((c) => typeof c);
    console.log(JSON.stringify(kinds));`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
  expect(run.stderr).toBe('');
  expect(JSON.parse(run.stdout)).toEqual(Array(7).fill('function'));
});

test('every symbol raft/index.ts exports has TSDoc on its declaration', () => {
  const program = ts.createProgram([join(ROOT, 'raft/index.ts')], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const index = program.getSourceFile(join(ROOT, 'raft/index.ts'))!;
  const exports = checker.getExportsOfModule(checker.getSymbolAtLocation(index)!);
  expect(exports.length).toBeGreaterThan(50);
  const undocumented = exports
    .filter((symbol) => {
      const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
      return target.getDocumentationComment(checker).length === 0;
    })
    .map((symbol) => symbol.getName());
  expect(undocumented).toEqual([]);
});

/**
 * Finding a container's executable before starting it, so that a missing or
 * non-executable command is a start error with a reason (as runc reports it), not a
 * container that runs and exits 127: the process runtime starts every container through a
 * shell wrapper (see `exit-wrapper.ts`), for which any command "starts".
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

export type Resolution = { readonly ok: true; readonly path: string } | { readonly ok: false; readonly why: string };

/**
 * The file `executable` names: a name with a `/` is taken relative to `cwd`; a bare name
 * is looked up in `pathVariable` (the container's `PATH`), as `execvp` does. `why` reads
 * like runc's message (`exec: "x": executable file not found in $PATH`).
 */
export async function resolveExecutable(executable: string, pathVariable: string | undefined, cwd: string): Promise<Resolution> {
  if (executable === '') return { ok: false, why: 'exec: "": executable file not found in $PATH' };
  if (executable.includes('/')) {
    const path = isAbsolute(executable) ? executable : resolve(cwd, executable);
    const problem = await executableProblem(path);
    return problem === undefined ? { ok: true, path } : { ok: false, why: `exec: "${executable}": ${problem}` };
  }
  let firstProblem: string | undefined;
  for (const directory of (pathVariable ?? '').split(delimiter)) {
    if (directory === '') continue;
    const path = join(directory, executable);
    const problem = await executableProblem(path);
    if (problem === undefined) return { ok: true, path };
    // A file that exists but cannot be executed is reported over "not found", as execvp does.
    if (problem !== 'no such file or directory') firstProblem ??= problem;
  }
  return { ok: false, why: `exec: "${executable}": ${firstProblem ?? 'executable file not found in $PATH'}` };
}

/** Why `path` cannot be executed, or undefined when it can. */
async function executableProblem(path: string): Promise<string | undefined> {
  try {
    const info = await stat(path);
    if (info.isDirectory()) return 'is a directory';
    await access(path, constants.X_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES') return 'permission denied';
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'no such file or directory';
    return (error as Error).message;
  }
}

/** Why `cwd` cannot be a working directory, or undefined when it can (runc's wording). */
export async function workingDirProblem(cwd: string): Promise<string | undefined> {
  try {
    const info = await stat(cwd);
    if (info.isDirectory()) return undefined;
    return `chdir to cwd ("${cwd}") set in config.json failed: not a directory`;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    return `chdir to cwd ("${cwd}") set in config.json failed: ${why}`;
  }
}

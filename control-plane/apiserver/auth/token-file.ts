/**
 * kube-apiserver's `--token-auth-file`: a CSV file, one static bearer token a line,
 * `token,user,uid,"group1,group2"` (the groups column optional, quoted when it holds several).
 * Blank lines and lines starting with `#` are skipped; a line with fewer than three columns,
 * an empty token or user, or a token given twice is an error naming the line.
 */
import { readFile } from 'node:fs/promises';
import type { UserInfo } from './user-info.js';

export class TokenFileError extends Error {
  override readonly name = 'TokenFileError';
}

/** The tokens of a token file's text: token → user. */
export function parseTokenFile(text: string, source = 'the token file'): Map<string, UserInfo> {
  const tokens = new Map<string, UserInfo>();
  text.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === '' || line.trimStart().startsWith('#')) return;
    const where = `${source} line ${index + 1}`;
    const columns = csvColumns(line, where);
    if (columns.length < 3) throw new TokenFileError(`${where}: expected token,user,uid[,"group1,group2"], got ${columns.length} column(s)`);
    const [token, name, uid, groups] = columns as [string, string, string, string | undefined];
    if (token === '') throw new TokenFileError(`${where}: the token is empty`);
    if (name === '') throw new TokenFileError(`${where}: the user name is empty`);
    if (tokens.has(token)) throw new TokenFileError(`${where}: this token is already given to user "${tokens.get(token)!.name}"`);
    const groupList = (groups ?? '').split(',').map((group) => group.trim()).filter((group) => group !== '');
    tokens.set(token, { name, ...(uid !== '' ? { uid } : {}), groups: groupList });
  });
  return tokens;
}

export async function readTokenFile(path: string): Promise<Map<string, UserInfo>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new TokenFileError(`cannot read ${path}: ${(error as Error).message}`);
  }
  return parseTokenFile(text, path);
}

/** One CSV line's columns (RFC 4180 quoting: `"a,b"`, `""` for a quote inside quotes). */
function csvColumns(line: string, where: string): string[] {
  const columns: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const char = line[i]!;
    if (quoted) {
      if (char === '"' && line[i + 1] === '"') {
        current += '"';
        i++;
      } else if (char === '"') {
        quoted = false;
      } else {
        current += char;
      }
    } else if (char === '"' && current === '') {
      quoted = true;
    } else if (char === ',') {
      columns.push(current.trim());
      current = '';
    } else {
      current += char;
    }
  }
  if (quoted) throw new TokenFileError(`${where}: a quoted column does not end`);
  columns.push(current.trim());
  return columns;
}

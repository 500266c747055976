/**
 * Reading the objects that `apply -f` and `delete -f` act on: files, folders (their
 * `*.yaml`, `*.yml` and `*.json` files, in name order, not recursing, as kubectl without
 * `-R`) and standard input (`-`). A file holds JSON or YAML, YAML possibly several documents
 * separated by `---`; a `List` (or any `<Kind>List`) stands for its items.
 *
 * Reading is all-or-nothing: a file that is missing or does not parse stops the command
 * before anything is sent, with the file (and document) named.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';

import { parseAllDocuments } from 'yaml';

import type { ApiObject } from '../api/types.js';
import { MANIFEST_BYTES_MAX } from './constants.js';
import { CliError } from './errors.js';

/** One object of a manifest and where it was read. */
export interface Manifest {
  /** The file as the user named it (or as found in a named folder); `STDIN` for `-`. */
  readonly source: string;
  readonly object: ApiObject;
}

/** The file extensions read from a folder. */
export const MANIFEST_EXTENSIONS: readonly string[] = ['.json', '.yaml', '.yml'];

/** The name kubectl gives standard input in messages. */
export const STDIN_SOURCE = 'STDIN';

/** Expands each `-f` argument: a folder becomes its manifest files, sorted; `-` stays. */
export async function expandManifestPaths(paths: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const given of paths) {
    if (given === '-') {
      files.push(given);
      continue;
    }
    let isDirectory: boolean;
    try {
      isDirectory = (await stat(given)).isDirectory();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new CliError(`the path "${given}" does not exist`);
      throw new CliError(`cannot read "${given}": ${(error as Error).message}`);
    }
    if (!isDirectory) {
      files.push(given);
      continue;
    }
    const entries = await readdir(given, { withFileTypes: true });
    const names = entries
      .filter((entry) => entry.isFile() && MANIFEST_EXTENSIONS.includes(path.extname(entry.name).toLowerCase()))
      .map((entry) => entry.name)
      .sort();
    if (names.length === 0) {
      throw new CliError(`error reading "${given}": no manifest files in it (recognized file extensions are [${MANIFEST_EXTENSIONS.join(' ')}])`);
    }
    for (const name of names) files.push(path.join(given, name));
  }
  return files;
}

/** Every object named by `paths` (files, folders, `-`), in order. */
export async function readManifests(paths: readonly string[], readStdin: () => Promise<string>): Promise<Manifest[]> {
  const manifests: Manifest[] = [];
  for (const file of await expandManifestPaths(paths)) {
    const source = file === '-' ? STDIN_SOURCE : file;
    const text = file === '-' ? await readStdin() : await readManifestFile(file);
    if (Buffer.byteLength(text) > MANIFEST_BYTES_MAX) throw new CliError(`"${source}" is larger than ${MANIFEST_BYTES_MAX} bytes`);
    const format = path.extname(file).toLowerCase() === '.json' ? 'json' : 'yaml';
    for (const object of parseManifests(text, source, format)) manifests.push({ source, object });
  }
  return manifests;
}

async function readManifestFile(file: string): Promise<string> {
  try {
    const size = (await stat(file)).size;
    if (size > MANIFEST_BYTES_MAX) throw new CliError(`"${file}" is larger than ${MANIFEST_BYTES_MAX} bytes`);
    return await readFile(file, 'utf8');
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`cannot read "${file}": ${(error as Error).message}`);
  }
}

/**
 * The objects in one file's text. `format` `json` parses one JSON value; `yaml` (a superset
 * of JSON) parses every `---` document and skips empty ones. Each object must have
 * `apiVersion`, `kind` and an object `metadata` (added when absent).
 */
export function parseManifests(text: string, source: string, format: 'json' | 'yaml' = 'yaml'): ApiObject[] {
  const documents: unknown[] = [];
  if (format === 'json') {
    try {
      documents.push(JSON.parse(text));
    } catch (error) {
      throw new CliError(`error parsing "${source}": ${(error as Error).message}`);
    }
  } else {
    for (const document of parseAllDocuments(text)) {
      const problem = document.errors[0];
      if (problem !== undefined) throw new CliError(`error parsing "${source}": ${problem.message.split('\n')[0]}`);
      documents.push(document.toJS());
    }
  }
  const objects: ApiObject[] = [];
  documents.forEach((document, index) => {
    if (document === null || document === undefined) return;
    const where = documents.length > 1 ? `"${source}" (document ${index + 1})` : `"${source}"`;
    flattenInto(objects, document, where);
  });
  return objects;
}

function flattenInto(objects: ApiObject[], value: unknown, where: string): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const found = Array.isArray(value) ? 'a list' : JSON.stringify(value);
    throw new CliError(`error validating ${where}: expected an object with apiVersion, kind and metadata, found ${found}`);
  }
  const record = value as Record<string, unknown>;
  const missing = [
    ...(typeof record.apiVersion === 'string' && record.apiVersion !== '' ? [] : ['apiVersion not set']),
    ...(typeof record.kind === 'string' && record.kind !== '' ? [] : ['kind not set']),
  ];
  if (missing.length > 0) throw new CliError(`error validating ${where}: ${missing.join(', ')}`);
  const kind = record.kind as string;
  if (kind.endsWith('List') && Array.isArray(record.items)) {
    // A typed list (PodList) may leave apiVersion/kind out of its items: they are the list's.
    const itemKind = kind === 'List' ? undefined : kind.slice(0, -'List'.length);
    record.items.forEach((item: unknown, index) => {
      const filled =
        itemKind !== undefined && typeof item === 'object' && item !== null && !Array.isArray(item)
          ? { apiVersion: record.apiVersion, kind: itemKind, ...(item as Record<string, unknown>) }
          : item;
      flattenInto(objects, filled, `${where} item ${index}`);
    });
    return;
  }
  if (record.metadata === undefined || record.metadata === null) record.metadata = {};
  if (typeof record.metadata !== 'object' || Array.isArray(record.metadata)) {
    throw new CliError(`error validating ${where}: metadata must be an object`);
  }
  objects.push(record as ApiObject);
}

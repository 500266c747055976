/**
 * Node selector terms, the language of node affinity (`spec.affinity.nodeAffinity`):
 * a list of terms ORed, each a conjunction of requirements on the node's labels
 * (`matchExpressions`) and fields (`matchFields`, only `metadata.name`). Operators, as in
 * Kubernetes: `In`, `NotIn` (also true when the label is absent), `Exists`, `DoesNotExist`,
 * `Gt` and `Lt` (the label and the one value read as integers). A term with no requirement
 * matches no node, and so does a requirement that cannot hold (an unknown operator, `Gt`
 * without an integer): Kubernetes' validation would refuse those, Balsa's API server does
 * not check affinity, so they are read here as "never".
 *
 * Terms are parsed once per pod into sets and numbers, so that matching a node (done for
 * hundreds of nodes per pod) only looks labels up.
 */

type Operator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';

export interface NodeSelectorRequirement {
  readonly key: string;
  readonly operator: Operator;
  /** In/NotIn: the values. */
  readonly values: ReadonlySet<string>;
  /** Gt/Lt: the bound. */
  readonly bound: number;
}

export interface NodeSelectorTerm {
  readonly expressions: readonly NodeSelectorRequirement[];
  /** On fields: `metadata.name` is the only one. */
  readonly fields: readonly NodeSelectorRequirement[];
}

/** A preferred term of node affinity and what matching it is worth (1..100 in Kubernetes). */
export interface PreferredNodeSelectorTerm {
  readonly weight: number;
  readonly term: NodeSelectorTerm;
}

type Json = Record<string, unknown>;

const OPERATORS: ReadonlySet<string> = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt']);
const INTEGER = /^[+-]?\d+$/;
/** The term that matches nothing. */
const NEVER: NodeSelectorTerm = Object.freeze({ expressions: [], fields: [] });

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One requirement, or null when it can never hold. */
function parseRequirement(value: unknown): NodeSelectorRequirement | null {
  if (!isRecord(value) || typeof value.key !== 'string' || typeof value.operator !== 'string' || !OPERATORS.has(value.operator)) return null;
  const operator = value.operator as Operator;
  const values = Array.isArray(value.values) ? value.values.filter((item): item is string => typeof item === 'string') : [];
  let bound = NaN;
  if (operator === 'Gt' || operator === 'Lt') {
    if (values.length !== 1 || !INTEGER.test(values[0]!)) return null;
    bound = Number(values[0]);
  }
  return { key: value.key, operator, values: new Set(values), bound };
}

/** A term (`{matchExpressions, matchFields}`); one that can never match comes back as `NEVER`'s shape (no requirement). */
export function parseNodeSelectorTerm(value: unknown): NodeSelectorTerm {
  if (!isRecord(value)) return NEVER;
  const expressions: NodeSelectorRequirement[] = [];
  const fields: NodeSelectorRequirement[] = [];
  for (const [list, into] of [[value.matchExpressions, expressions], [value.matchFields, fields]] as const) {
    if (!Array.isArray(list)) continue;
    for (const entry of list) {
      const requirement = parseRequirement(entry);
      if (requirement === null) return NEVER;
      into.push(requirement);
    }
  }
  return { expressions, fields };
}

/** `nodeSelectorTerms` of a required node affinity. */
export function parseNodeSelectorTerms(value: unknown): NodeSelectorTerm[] {
  return Array.isArray(value) ? value.map(parseNodeSelectorTerm) : [];
}

/** `preferredDuringSchedulingIgnoredDuringExecution`: `[{weight, preference}]`; entries without a positive weight count for nothing and are left out. */
export function parsePreferredTerms(value: unknown): PreferredNodeSelectorTerm[] {
  if (!Array.isArray(value)) return [];
  const terms: PreferredNodeSelectorTerm[] = [];
  for (const entry of value) {
    if (!isRecord(entry) || typeof entry.weight !== 'number' || !(entry.weight > 0)) continue;
    terms.push({ weight: entry.weight, term: parseNodeSelectorTerm(entry.preference) });
  }
  return terms;
}

function matchesRequirement(requirement: NodeSelectorRequirement, value: string | undefined): boolean {
  switch (requirement.operator) {
    case 'In':
      return value !== undefined && requirement.values.has(value);
    case 'NotIn':
      return value === undefined || !requirement.values.has(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
      return value !== undefined && INTEGER.test(value) && Number(value) > requirement.bound;
    case 'Lt':
      return value !== undefined && INTEGER.test(value) && Number(value) < requirement.bound;
    default: {
      const never: never = requirement.operator;
      throw new Error(`unknown node selector operator ${String(never)}`);
    }
  }
}

/** Whether a node with these labels and this name satisfies every requirement of the term (an empty term: no). */
export function matchesNodeSelectorTerm(term: NodeSelectorTerm, labels: Readonly<Record<string, string>>, nodeName: string): boolean {
  if (term.expressions.length === 0 && term.fields.length === 0) return false;
  for (const requirement of term.expressions) {
    if (!matchesRequirement(requirement, Object.hasOwn(labels, requirement.key) ? labels[requirement.key] : undefined)) return false;
  }
  for (const requirement of term.fields) {
    if (!matchesRequirement(requirement, requirement.key === 'metadata.name' ? nodeName : undefined)) return false;
  }
  return true;
}

/** Whether the node satisfies at least one of the terms (none: no). */
export function matchesAnyNodeSelectorTerm(terms: readonly NodeSelectorTerm[], labels: Readonly<Record<string, string>>, nodeName: string): boolean {
  for (const term of terms) if (matchesNodeSelectorTerm(term, labels, nodeName)) return true;
  return false;
}

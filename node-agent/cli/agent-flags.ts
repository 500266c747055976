/**
 * `balsa agent`'s flags that carry structure: `--labels k=v,...` and
 * `--taints key=value:Effect,...` (or `key:Effect`), checked as the API checks them, so a
 * mistake is told at the command line rather than as a registration the API refuses.
 */
import { labelValueErrors, qualifiedNameErrors } from '../../control-plane/api/names.js';
import { TAINT_EFFECTS } from '../../control-plane/api/validation/pod.js';
import { AgentError } from '../errors.js';
import type { Taint } from '../node-registration.js';

export function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const item of splitList(text)) {
    const equals = item.indexOf('=');
    if (equals <= 0) throw new AgentError('InvalidFlag', `--labels: "${item}" is not key=value`, false);
    const key = item.slice(0, equals);
    const value = item.slice(equals + 1);
    const problems = [...qualifiedNameErrors(key), ...labelValueErrors(value)];
    if (problems.length > 0) throw new AgentError('InvalidFlag', `--labels: "${item}": ${problems.join('; ')}`, false);
    labels[key] = value;
  }
  return labels;
}

export function parseTaints(text: string): Taint[] {
  return splitList(text).map((item) => {
    const match = /^([^=:]+)(?:=([^:]*))?:([A-Za-z]+)$/.exec(item);
    if (match === null) throw new AgentError('InvalidFlag', `--taints: "${item}" is not key=value:Effect or key:Effect`, false);
    const [, key, value, effect] = match as unknown as [string, string, string | undefined, string];
    if (!(TAINT_EFFECTS as readonly string[]).includes(effect)) throw new AgentError('InvalidFlag', `--taints: "${item}": the effect must be one of ${TAINT_EFFECTS.join(', ')}`, false);
    const problems = [...qualifiedNameErrors(key), ...(value !== undefined ? labelValueErrors(value) : [])];
    if (problems.length > 0) throw new AgentError('InvalidFlag', `--taints: "${item}": ${problems.join('; ')}`, false);
    return { key, ...(value !== undefined && value !== '' ? { value } : {}), effect: effect as Taint['effect'] };
  });
}

function splitList(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

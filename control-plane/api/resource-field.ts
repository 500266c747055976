/**
 * The downward API's `resourceFieldRef`, as Kubernetes resolves it: a container's request or
 * limit (`resource`: one of `RESOURCE_FIELDS`) in units of `divisor` (default 1; a zero
 * divisor, how an unset one comes back from the API, is 1), rounded up — `limits.cpu` with
 * divisor `1m` is millicores. A limit the container does not set is the node's allocatable
 * amount; a request it does not set is 0. The agent resolves it for a container's
 * environment; `balsa describe` shows it.
 */
import { asRecord } from './object-fields.js';
import type { JsonRecord } from './object-fields.js';
import { parseQuantity } from './quantity.js';

/** The resources a `resourceFieldRef` may name. */
export const RESOURCE_FIELDS = ['limits.cpu', 'limits.memory', 'requests.cpu', 'requests.memory'] as const;

export class ResourceFieldError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResourceFieldError';
  }
}

/**
 * The value of `ref` for `container`; `allocatable` stands for a limit the container does not
 * set (undefined: such a limit is answered `null`, "the node's allocatable").
 *
 * @throws ResourceFieldError for a resource it does not know, or a quantity or divisor that is not one.
 */
export function containerResourceValue(container: JsonRecord, ref: JsonRecord, allocatable: { readonly cpu: string; readonly memory: string }): string;
export function containerResourceValue(container: JsonRecord, ref: JsonRecord, allocatable?: { readonly cpu: string; readonly memory: string }): string | null;
export function containerResourceValue(container: JsonRecord, ref: JsonRecord, allocatable?: { readonly cpu: string; readonly memory: string }): string | null {
  const resource = String(ref.resource ?? '');
  if (!(RESOURCE_FIELDS as readonly string[]).includes(resource)) {
    throw new ResourceFieldError(`unsupported resourceFieldRef.resource: "${resource}" (supported: ${RESOURCE_FIELDS.join(', ')})`);
  }
  const [kind, name] = resource.split('.') as ['limits' | 'requests', 'cpu' | 'memory'];
  const given = asRecord(asRecord(container.resources)[kind])[name];
  if (given === undefined && kind === 'limits' && allocatable === undefined) return null;
  const amountText = given ?? (kind === 'limits' ? allocatable![name] : 0);
  const divisorText = ref.divisor === undefined || ref.divisor === null || ref.divisor === '' ? 1 : ref.divisor;
  let amount: number;
  let divisor: number;
  try {
    amount = parseQuantity(amountText as string | number);
    divisor = parseQuantity(divisorText as string | number);
  } catch (error) {
    throw new ResourceFieldError(`resourceFieldRef ${resource}: ${(error as Error).message}`);
  }
  if (divisor === 0) divisor = 1;
  if (divisor < 0) throw new ResourceFieldError(`resourceFieldRef ${resource}: the divisor must be positive, got ${String(divisorText)}`);
  // CPU in whole millicores (its finest unit), so that 100m / 1m is 100 and not 100.00000000000001.
  const ratio = name === 'cpu' ? Math.round(amount * 1000) / Math.round(divisor * 1000) : amount / divisor;
  return String(Math.ceil(ratio));
}

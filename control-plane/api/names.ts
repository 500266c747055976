/**
 * The name syntaxes of the API, with Kubernetes' wording of what is wrong. Each check
 * returns the list of problems (empty when the value is valid) so that a caller can turn
 * every one into a field error, as Kubernetes does: a name can be both too long and badly
 * formed, and saying both saves a round trip.
 *
 * Object names become DNS names (Services, Namespaces), path segments and label values, so
 * they follow RFC 1123. Label keys and other "qualified names" take an optional DNS
 * subdomain prefix (`example.com/tier`).
 */

/** RFC 1123 label: a Namespace or Service name, a container name. */
export const DNS1123_LABEL_LENGTH_MAX = 63;
/** RFC 1123 subdomain: most object names. */
export const DNS1123_SUBDOMAIN_LENGTH_MAX = 253;
/** The name part of a qualified name (a label key without its prefix). */
export const QUALIFIED_NAME_LENGTH_MAX = 63;
export const LABEL_VALUE_LENGTH_MAX = 63;
/** IANA service names (RFC 6335) are at most 15 characters. */
export const PORT_NAME_LENGTH_MAX = 15;

const DNS1123_LABEL_FORMAT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_LABEL_MESSAGE =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
const DNS1123_SUBDOMAIN_FORMAT = `${DNS1123_LABEL_FORMAT}(\\.${DNS1123_LABEL_FORMAT})*`;
const DNS1123_SUBDOMAIN_MESSAGE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const QUALIFIED_NAME_FORMAT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const QUALIFIED_NAME_MESSAGE =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_FORMAT = `(${QUALIFIED_NAME_FORMAT})?`;
const LABEL_VALUE_MESSAGE =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const CONFIG_MAP_KEY_FORMAT = '[-._a-zA-Z0-9]+';
const CONFIG_MAP_KEY_MESSAGE = "a valid config key must consist of alphanumeric characters, '-', '_' or '.'";
const ENV_VAR_NAME_FORMAT = '[-._a-zA-Z][-._a-zA-Z0-9]*';
const ENV_VAR_NAME_MESSAGE =
  "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit";

const DNS1123_LABEL = anchored(DNS1123_LABEL_FORMAT);
const DNS1123_SUBDOMAIN = anchored(DNS1123_SUBDOMAIN_FORMAT);
const QUALIFIED_NAME = anchored(QUALIFIED_NAME_FORMAT);
const LABEL_VALUE = anchored(LABEL_VALUE_FORMAT);
const CONFIG_MAP_KEY = anchored(CONFIG_MAP_KEY_FORMAT);
const ENV_VAR_NAME = anchored(ENV_VAR_NAME_FORMAT);

/** `must be no more than 63 characters`. */
export function maxLengthMessage(length: number): string {
  return `must be no more than ${length} characters`;
}

/** `must be between 1 and 65535, inclusive`. */
export function inclusiveRangeMessage(low: number, high: number): string {
  return `must be between ${low} and ${high}, inclusive`;
}

/** Problems with a DNS-1123 label (`web`, `123-abc`): at most 63 lower-case alphanumerics or `-`. */
export function dns1123LabelErrors(value: string): string[] {
  const errors: string[] = [];
  if (value.length > DNS1123_LABEL_LENGTH_MAX) errors.push(maxLengthMessage(DNS1123_LABEL_LENGTH_MAX));
  if (!DNS1123_LABEL.test(value)) {
    errors.push(regexMessage(DNS1123_LABEL_MESSAGE, DNS1123_LABEL_FORMAT, ['my-name', '123-abc']));
  }
  return errors;
}

/** Problems with a DNS-1123 subdomain (`example.com`): dot-separated labels, at most 253 characters. */
export function dns1123SubdomainErrors(value: string): string[] {
  const errors: string[] = [];
  if (value.length > DNS1123_SUBDOMAIN_LENGTH_MAX) errors.push(maxLengthMessage(DNS1123_SUBDOMAIN_LENGTH_MAX));
  if (!DNS1123_SUBDOMAIN.test(value)) {
    errors.push(regexMessage(DNS1123_SUBDOMAIN_MESSAGE, DNS1123_SUBDOMAIN_FORMAT, ['example.com']));
  }
  return errors;
}

/**
 * Problems with a qualified name: a label or annotation key, a finalizer, a taint key
 * (`app`, `example.com/tier`). An optional DNS-1123 subdomain prefix and `/`, then a name
 * of at most 63 characters that starts and ends with an alphanumeric and has `-`, `_`, `.`
 * inside.
 */
export function qualifiedNameErrors(value: string): string[] {
  const errors: string[] = [];
  const parts = value.split('/');
  if (parts.length > 2) {
    const format = regexMessage(QUALIFIED_NAME_MESSAGE, QUALIFIED_NAME_FORMAT, ['MyName', 'my.name', '123-abc']);
    return [`a qualified name ${format} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`];
  }
  const name = parts.length === 2 ? parts[1]! : parts[0]!;
  if (parts.length === 2) {
    const prefix = parts[0]!;
    if (prefix === '') errors.push('prefix part must be non-empty');
    else errors.push(...dns1123SubdomainErrors(prefix).map((message) => `prefix part ${message}`));
  }
  if (name === '') errors.push('name part must be non-empty');
  else if (name.length > QUALIFIED_NAME_LENGTH_MAX) errors.push(`name part ${maxLengthMessage(QUALIFIED_NAME_LENGTH_MAX)}`);
  if (!QUALIFIED_NAME.test(name)) {
    errors.push(`name part ${regexMessage(QUALIFIED_NAME_MESSAGE, QUALIFIED_NAME_FORMAT, ['MyName', 'my.name', '123-abc'])}`);
  }
  return errors;
}

/** Problems with a label key: the qualified-name syntax. */
export function labelKeyErrors(value: string): string[] {
  return qualifiedNameErrors(value);
}

/** Problems with a label value: empty, or at most 63 characters of the qualified-name alphabet. */
export function labelValueErrors(value: string): string[] {
  const errors: string[] = [];
  if (value.length > LABEL_VALUE_LENGTH_MAX) errors.push(maxLengthMessage(LABEL_VALUE_LENGTH_MAX));
  if (!LABEL_VALUE.test(value)) {
    errors.push(regexMessage(LABEL_VALUE_MESSAGE, LABEL_VALUE_FORMAT, ['MyValue', 'my_value', '12345']));
  }
  return errors;
}

/**
 * Problems with a port name (an IANA_SVC_NAME, RFC 6335 §5.1): at most 15 characters of
 * `a-z`, `0-9` and `-`, at least one letter, no `--`, no `-` at either end. Ports are
 * named so that a Service's `targetPort` can refer to them by name.
 */
export function portNameErrors(value: string): string[] {
  const errors: string[] = [];
  if (value.length > PORT_NAME_LENGTH_MAX) errors.push(maxLengthMessage(PORT_NAME_LENGTH_MAX));
  if (!/^[-a-z0-9]+$/.test(value)) errors.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(value)) errors.push('must contain at least one letter (a-z)');
  if (value.includes('--')) errors.push('must not contain consecutive hyphens');
  if (value.startsWith('-') || value.endsWith('-')) errors.push('must not begin or end with a hyphen');
  return errors;
}

/** Problems with a port number: an integer from 1 to 65535. */
export function portNumberErrors(value: number): string[] {
  return Number.isInteger(value) && value >= 1 && value <= 65535 ? [] : [inclusiveRangeMessage(1, 65535)];
}

/**
 * Problems with a ConfigMap or Secret key: at most 253 characters of `[-._a-zA-Z0-9]`, and
 * not `.`, `..` or `..`-prefixed, because keys become file names when mounted.
 */
export function configMapKeyErrors(value: string): string[] {
  const errors: string[] = [];
  if (value.length > DNS1123_SUBDOMAIN_LENGTH_MAX) errors.push(maxLengthMessage(DNS1123_SUBDOMAIN_LENGTH_MAX));
  if (!CONFIG_MAP_KEY.test(value)) {
    errors.push(regexMessage(CONFIG_MAP_KEY_MESSAGE, CONFIG_MAP_KEY_FORMAT, ['key.name', 'KEY_NAME', 'key-name']));
  }
  if (value === '.') errors.push("must not be '.'");
  else if (value === '..') errors.push("must not be '..'");
  else if (value.startsWith('..')) errors.push("must not start with '..'");
  return errors;
}

/** Problems with an environment variable name (`HOME`, `my.var`): no leading digit. */
export function envVarNameErrors(value: string): string[] {
  return ENV_VAR_NAME.test(value)
    ? []
    : [regexMessage(ENV_VAR_NAME_MESSAGE, ENV_VAR_NAME_FORMAT, ['my.env-name', 'MY_ENV.NAME', 'MyEnvName1'])];
}

/**
 * Kubernetes' `RegexError` wording: the rule, examples, then the regular expression. The
 * doubled space after the first of several examples is Kubernetes' own, kept so that the
 * messages compare equal to theirs.
 */
function regexMessage(message: string, format: string, examples: readonly string[]): string {
  if (examples.length === 0) return `${message} (regex used for validation is '${format}')`;
  const quoted = examples.map((example) => `'${example}', `).join(' or ');
  return `${message} (e.g. ${quoted}regex used for validation is '${format}')`;
}

function anchored(format: string): RegExp {
  return new RegExp(`^(?:${format})$`);
}

/**
 * Kubernetes' `IsValidPathSegmentName`: the names of RBAC objects (`system:node`) need only
 * be usable as one URL path segment.
 */
export function pathSegmentNameErrors(value: string): string[] {
  if (value === '.' || value === '..') return [`may not be '${value}'`];
  const errors: string[] = [];
  for (const illegal of ['/', '%']) if (value.includes(illegal)) errors.push(`may not contain '${illegal}'`);
  return errors;
}

/**
 * The name syntaxes accept what Kubernetes accepts, refuse what it refuses, and say why in
 * Kubernetes' words (every problem at once: a name can be both too long and malformed).
 */
import {
  configMapKeyErrors,
  dns1123LabelErrors,
  dns1123SubdomainErrors,
  envVarNameErrors,
  labelKeyErrors,
  labelValueErrors,
  portNameErrors,
  portNumberErrors,
} from '../../../control-plane/api/names.js';

describe('DNS-1123 subdomain', () => {
  it.each(['web', 'web-1', '1web', 'example.com', 'a.b-c.d', 'a'.repeat(253 - 4) + '.com'])('accepts %s', (name) => {
    expect(dns1123SubdomainErrors(name)).toEqual([]);
  });

  it.each(['', 'Web', 'web_1', '-web', 'web-', 'web..com', '.web', 'web.', 'we b'])('refuses %j', (name) => {
    expect(dns1123SubdomainErrors(name).length).toBeGreaterThan(0);
  });

  it("says what is wrong in Kubernetes' words", () => {
    expect(dns1123SubdomainErrors('Web_1')).toEqual([
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    ]);
  });

  it('limits the length to 253 and reports it with the format problem', () => {
    expect(dns1123SubdomainErrors('a'.repeat(254))).toEqual(['must be no more than 253 characters']);
    expect(dns1123SubdomainErrors('A'.repeat(254))).toHaveLength(2);
  });
});

describe('DNS-1123 label', () => {
  it('accepts single labels of at most 63 characters', () => {
    expect(dns1123LabelErrors('team-a')).toEqual([]);
    expect(dns1123LabelErrors('123-abc')).toEqual([]);
    expect(dns1123LabelErrors('a'.repeat(63))).toEqual([]);
    expect(dns1123LabelErrors('a'.repeat(64))).toEqual(['must be no more than 63 characters']);
  });

  it('refuses dots, capitals and edge hyphens, with the examples Kubernetes gives', () => {
    expect(dns1123LabelErrors('a.b')).toEqual([
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
    ]);
    expect(dns1123LabelErrors('Team')).toHaveLength(1);
    expect(dns1123LabelErrors('-a')).toHaveLength(1);
  });
});

describe('label keys', () => {
  it.each(['app', 'App.Name_1', 'example.com/tier', 'kubernetes.io/hostname', 'a'.repeat(63)])('accepts %s', (key) => {
    expect(labelKeyErrors(key)).toEqual([]);
  });

  it('checks the prefix as a DNS subdomain and the name part separately', () => {
    expect(labelKeyErrors('Example.com/tier')).toEqual([
      expect.stringMatching(/^prefix part a lowercase RFC 1123 subdomain must consist/),
    ]);
    expect(labelKeyErrors('/tier')).toEqual(['prefix part must be non-empty']);
    expect(labelKeyErrors('example.com/')).toEqual([
      'name part must be non-empty',
      expect.stringMatching(/^name part must consist of alphanumeric characters/),
    ]);
    expect(labelKeyErrors('a'.repeat(64))).toEqual(['name part must be no more than 63 characters']);
    expect(labelKeyErrors('-app')).toEqual([
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    ]);
  });

  it('refuses more than one slash', () => {
    expect(labelKeyErrors('a/b/c')).toEqual([expect.stringMatching(/^a qualified name must consist.*\(e\.g\. 'example\.com\/MyName'\)$/)]);
  });
});

describe('label values', () => {
  it('accepts empty values and the qualified-name alphabet', () => {
    for (const value of ['', 'web', 'My_Value.1', '12345', 'a'.repeat(63)]) expect(labelValueErrors(value)).toEqual([]);
  });

  it('refuses slashes, spaces, edge punctuation and more than 63 characters', () => {
    expect(labelValueErrors('a/b')).toEqual([
      "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
    ]);
    expect(labelValueErrors('web ')).toHaveLength(1);
    expect(labelValueErrors('_web')).toHaveLength(1);
    expect(labelValueErrors('a'.repeat(64))).toEqual(['must be no more than 63 characters']);
  });
});

describe('port names and numbers', () => {
  it('accepts IANA service names', () => {
    for (const name of ['http', 'https-alt', 'h2c', 'a'.repeat(15)]) expect(portNameErrors(name)).toEqual([]);
  });

  it('explains each way a port name is wrong', () => {
    expect(portNameErrors('a'.repeat(16))).toEqual(['must be no more than 15 characters']);
    expect(portNameErrors('HTTP')).toEqual([
      'must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
      'must contain at least one letter (a-z)',
    ]);
    expect(portNameErrors('8080')).toEqual(['must contain at least one letter (a-z)']);
    expect(portNameErrors('web--ui')).toEqual(['must not contain consecutive hyphens']);
    expect(portNameErrors('-web')).toEqual(['must not begin or end with a hyphen']);
  });

  it('accepts port numbers 1 to 65535', () => {
    expect(portNumberErrors(1)).toEqual([]);
    expect(portNumberErrors(65535)).toEqual([]);
    expect(portNumberErrors(0)).toEqual(['must be between 1 and 65535, inclusive']);
    expect(portNumberErrors(65536)).toEqual(['must be between 1 and 65535, inclusive']);
    expect(portNumberErrors(80.5)).toEqual(['must be between 1 and 65535, inclusive']);
  });
});

describe('config keys and environment names', () => {
  it('accepts file-like keys and refuses path tricks', () => {
    for (const key of ['nginx.conf', 'KEY_NAME', 'key-name', '.hidden']) expect(configMapKeyErrors(key)).toEqual([]);
    expect(configMapKeyErrors('a/b')).toEqual([
      "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
    ]);
    expect(configMapKeyErrors('.')).toEqual(["must not be '.'"]);
    expect(configMapKeyErrors('..')).toEqual(["must not be '..'"]);
    expect(configMapKeyErrors('..data')).toEqual(["must not start with '..'"]);
    expect(configMapKeyErrors('k'.repeat(254))).toEqual(['must be no more than 253 characters']);
  });

  it('refuses environment names that start with a digit', () => {
    expect(envVarNameErrors('HOME')).toEqual([]);
    expect(envVarNameErrors('my.var-1')).toEqual([]);
    expect(envVarNameErrors('1VAR')).toHaveLength(1);
    expect(envVarNameErrors('')).toHaveLength(1);
  });
});

/**
 * `balsa kv serve` takes etcd's flags with etcd's defaults and meanings: both flag forms, the
 * ETCD_* environment, the defaults that follow --name, clear errors for bad input, and
 * etcd's member and cluster ids (checked against ids a real etcd 3.4 printed), and the
 * options a member runs with.
 */
import {
  DEFAULT_MAX_REQUEST_BYTES,
  DEFAULT_QUOTA_BACKEND_BYTES,
  KV_SERVER_FLAGS,
  KvConfigError,
  clusterIdFor,
  formatId,
  memberIdFor,
  parseGoDurationMs,
  parseKvServerConfig,
} from '../../../kv/server/config.js';
import type { KvConfigErrorCode } from '../../../kv/server/config.js';
import { LEASE_CHECKPOINT_INTERVAL_ENV, serverOptionsFromConfig } from '../../../kv/server/server-options.js';

const parse = (argv: string[], env: Record<string, string> = {}) => parseKvServerConfig(argv, env);

function expectError(argv: string[], code: KvConfigErrorCode, message: RegExp, env: Record<string, string> = {}): void {
  let error: unknown;
  try {
    parse(argv, env);
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(KvConfigError);
  expect((error as KvConfigError).code).toBe(code);
  expect((error as KvConfigError).message).toMatch(message);
}

describe('defaults', () => {
  test("are etcd's", () => {
    const { config, warnings } = parse([]);
    expect(warnings).toEqual([]);
    expect(config).toEqual({
      name: 'default',
      dataDir: 'default.etcd',
      listenClientUrls: ['http://localhost:2379'],
      listenMetricsUrls: [],
      advertiseClientUrls: ['http://localhost:2379'],
      listenPeerUrls: ['http://localhost:2380'],
      initialAdvertisePeerUrls: ['http://localhost:2380'],
      initialCluster: [{ name: 'default', peerUrls: ['http://localhost:2380'], id: 0x8e9e05c52164694dn }],
      initialClusterState: 'new',
      initialClusterToken: 'etcd-cluster',
      snapshotCount: 100_000,
      quotaBackendBytes: 2_147_483_648,
      maxRequestBytes: 1_572_864,
      clientLimits: { maxConcurrentStreams: 2 ** 32 - 1, maxWatchersPerStream: 10_000 },
      autoCompaction: { mode: 'off' },
      heartbeatIntervalMs: 100,
      electionTimeoutMs: 1000,
      experimentalEnableLeaseCheckpoint: false,
      clientTls: undefined,
      peerTls: undefined,
      authTokenTtlSeconds: 300,
      logLevel: 'info',
      memberId: 0x8e9e05c52164694dn,
      clusterId: 0xcdf818194e3a8c32n,
    });
    expect(DEFAULT_QUOTA_BACKEND_BYTES).toBe(2 ** 31);
    expect(DEFAULT_MAX_REQUEST_BYTES).toBe(1.5 * 2 ** 20);
  });

  test("--log-level (or ETCD_LOG_LEVEL) takes etcd's levels debug, info, warn, error, and no other", () => {
    expect(parse(['--log-level', 'debug']).config.logLevel).toBe('debug');
    expect(parse([], { ETCD_LOG_LEVEL: 'warn' }).config.logLevel).toBe('warn');
    expect(() => parse(['--log-level=loud'])).toThrow('invalid value "loud" for --log-level: one of debug, info, warn, error');
  });

  test('the data directory and the initial cluster follow --name and the advertised peer URLs', () => {
    const { config } = parse(['--name', 'infra1', '--initial-advertise-peer-urls', 'http://10.0.0.1:2380,http://10.0.0.1:2381']);
    expect(config.dataDir).toBe('infra1.etcd');
    expect(config.initialCluster).toEqual([
      { name: 'infra1', peerUrls: ['http://10.0.0.1:2380', 'http://10.0.0.1:2381'], id: memberIdFor(['http://10.0.0.1:2380', 'http://10.0.0.1:2381'], 'etcd-cluster') },
    ]);
  });

  test('every flag has an ETCD_ variable named after it', () => {
    for (const flag of KV_SERVER_FLAGS) expect(flag.env).toBe(`ETCD_${flag.name.toUpperCase().replaceAll('-', '_')}`);
    expect(KV_SERVER_FLAGS.map((f) => f.env)).toContain('ETCD_INITIAL_ADVERTISE_PEER_URLS');
  });
});

describe('flags', () => {
  const cluster = [
    '--name', 'm2',
    '--data-dir=/var/lib/balsa/m2',
    '--listen-client-urls', 'http://0.0.0.0:2379,http://[::1]:2379',
    '--advertise-client-urls=http://node2.example:2379',
    '-listen-peer-urls', 'http://10.0.0.2:2380',
    '-initial-advertise-peer-urls=http://10.0.0.2:2380',
    '--initial-cluster', 'm1=http://10.0.0.1:2380,m2=http://10.0.0.2:2380,m3=http://10.0.0.3:2380',
    '--initial-cluster-state', 'existing',
    '--initial-cluster-token', 'prod-1',
    '--snapshot-count', '5000',
    '--quota-backend-bytes=8589934592',
    '--max-request-bytes', '10485760',
    '--auto-compaction-mode', 'revision',
    '--auto-compaction-retention', '1000',
    '--heartbeat-interval', '50',
    '--election-timeout=500',
  ];

  test('--flag value, --flag=value and the one-dash forms all set their field', () => {
    const { config, warnings } = parse(cluster);
    expect(warnings).toEqual([]);
    expect(config).toMatchObject({
      name: 'm2',
      dataDir: '/var/lib/balsa/m2',
      listenClientUrls: ['http://0.0.0.0:2379', 'http://[::1]:2379'],
      advertiseClientUrls: ['http://node2.example:2379'],
      listenPeerUrls: ['http://10.0.0.2:2380'],
      initialAdvertisePeerUrls: ['http://10.0.0.2:2380'],
      initialClusterState: 'existing',
      initialClusterToken: 'prod-1',
      snapshotCount: 5000,
      quotaBackendBytes: 8 * 2 ** 30,
      maxRequestBytes: 10 * 2 ** 20,
      autoCompaction: { mode: 'revision', retainRevisions: 1000 },
      heartbeatIntervalMs: 50,
      electionTimeoutMs: 500,
      clusterId: undefined, // a member joining an existing cluster learns it from the cluster
    });
    expect(config.initialCluster.map((m) => m.name)).toEqual(['m1', 'm2', 'm3']);
    expect(config.memberId).toBe(memberIdFor(['http://10.0.0.2:2380'], 'prod-1'));
  });

  test('--listen-metrics-urls: where else /metrics and /health are served; https needs the client certificate', () => {
    expect(parse(['--listen-metrics-urls', 'http://127.0.0.1:2381,http://[::1]:2381']).config.listenMetricsUrls).toEqual(['http://127.0.0.1:2381', 'http://[::1]:2381']);
    expect(parse([], { ETCD_LISTEN_METRICS_URLS: 'http://127.0.0.1:2381' }).config.listenMetricsUrls).toEqual(['http://127.0.0.1:2381']);
    expectError(['--listen-metrics-urls', 'https://127.0.0.1:2381'], 'INCONSISTENT', /^TLS key\/cert \(--cert-file, --key-file\) must be provided for metrics url https:\/\/127.0.0.1:2381 with HTTPS scheme$/);
    expectError(['--listen-metrics-urls', 'ftp://127.0.0.1:2381'], 'INVALID_URL', /ftp/);
    const options = serverOptionsFromConfig(parse(['--listen-metrics-urls', 'http://127.0.0.1:2381,https://127.0.0.1:2382', '--cert-file', 'c.pem', '--key-file', 'k.pem']).config);
    expect(options).toMatchObject({ metricsAddresses: ['127.0.0.1:2381'], secureMetricsAddresses: ['127.0.0.1:2382'] });
  });

  test('--auth-token-ttl is the seconds an auth token lives unused, above 0', () => {
    expect(parse(['--auth-token-ttl', '60']).config.authTokenTtlSeconds).toBe(60);
    expect(() => parse(['--auth-token-ttl', '0'])).toThrow('--auth-token-ttl: must be greater than 0');
  });

  test('a repeated flag keeps its last value', () => {
    expect(parse(['--snapshot-count', '1', '--snapshot-count=2']).config.snapshotCount).toBe(2);
  });

  test("a bool flag is true alone, takes a value only after '=' (Go's bool syntax), and never the next argument", () => {
    const checkpoint = (argv: string[], env: Record<string, string> = {}) => parse(argv, env).config.experimentalEnableLeaseCheckpoint;
    expect(checkpoint(['--experimental-enable-lease-checkpoint'])).toBe(true);
    expect(checkpoint(['-experimental-enable-lease-checkpoint=false'])).toBe(false);
    expect(checkpoint(['--experimental-enable-lease-checkpoint=T'])).toBe(true);
    expect(checkpoint([], { ETCD_EXPERIMENTAL_ENABLE_LEASE_CHECKPOINT: 'true' })).toBe(true);
    expect(parse(['--experimental-enable-lease-checkpoint', '--name', 'x']).config).toMatchObject({ name: 'x', experimentalEnableLeaseCheckpoint: true });
    expectError(['--experimental-enable-lease-checkpoint', 'false'], 'UNEXPECTED_ARGUMENT', /'false' is not a valid flag/);
    expectError(['--experimental-enable-lease-checkpoint=maybe'], 'INVALID_VALUE', /^invalid boolean value "maybe" for --experimental-enable-lease-checkpoint: parse error$/);
  });

  test('a value may contain "=" and start with a dash only when it is not a flag', () => {
    expect(parse(['--data-dir=/tmp/a=b']).config.dataDir).toBe('/tmp/a=b');
    expect(parse(['--data-dir', '-odd-dir']).config.dataDir).toBe('-odd-dir');
  });

  test('0 means the default for --snapshot-count and --quota-backend-bytes; a negative quota disables it', () => {
    expect(parse(['--snapshot-count', '0']).config.snapshotCount).toBe(100_000);
    expect(parse(['--quota-backend-bytes', '0']).config.quotaBackendBytes).toBe(2 ** 31);
    const { config, warnings } = parse(['--quota-backend-bytes', '-1']);
    expect(config.quotaBackendBytes).toBe(Number.POSITIVE_INFINITY);
    expect(warnings).toEqual(['--quota-backend-bytes is negative: the backend quota is disabled']);
    expect(parse(['--quota-backend-bytes', String(16 * 2 ** 30)]).warnings[0]).toMatch(/exceeds the recommended maximum/);
  });
});

describe('auto compaction', () => {
  const compaction = (...argv: string[]) => parse(argv).config.autoCompaction;

  test('periodic (the default mode): a bare number is hours, otherwise a Go duration', () => {
    expect(compaction('--auto-compaction-retention', '1')).toEqual({ mode: 'periodic', retentionMs: 3_600_000 });
    expect(compaction('--auto-compaction-retention', '72')).toEqual({ mode: 'periodic', retentionMs: 72 * 3_600_000 });
    expect(compaction('--auto-compaction-retention', '30m')).toEqual({ mode: 'periodic', retentionMs: 1_800_000 });
    expect(compaction('--auto-compaction-mode', 'periodic', '--auto-compaction-retention', '1h30m')).toEqual({ mode: 'periodic', retentionMs: 5_400_000 });
    expect(compaction('--auto-compaction-retention', '1.5h')).toEqual({ mode: 'periodic', retentionMs: 5_400_000 });
    expect(compaction('--auto-compaction-retention', '90s')).toEqual({ mode: 'periodic', retentionMs: 90_000 });
  });

  test('0 in any form is off', () => {
    expect(compaction('--auto-compaction-retention', '0')).toEqual({ mode: 'off' });
    expect(compaction('--auto-compaction-retention', '0s')).toEqual({ mode: 'off' });
    expect(compaction('--auto-compaction-mode', 'revision', '--auto-compaction-retention', '0')).toEqual({ mode: 'off' });
    expect(compaction('--auto-compaction-mode', 'revision')).toEqual({ mode: 'off' });
  });

  test('revision mode counts revisions', () => {
    expect(compaction('--auto-compaction-mode', 'revision', '--auto-compaction-retention', '10000')).toEqual({ mode: 'revision', retainRevisions: 10_000 });
  });

  test('bad retentions and modes are refused', () => {
    expectError(['--auto-compaction-retention', 'abc'], 'INVALID_VALUE', /invalid value "abc" for --auto-compaction-retention/);
    expectError(['--auto-compaction-retention', '1.5'], 'INVALID_VALUE', /auto-compaction-retention/); // a fraction needs a unit, as in Go
    expectError(['--auto-compaction-retention', '-1h'], 'INVALID_VALUE', /auto-compaction-retention/);
    expectError(['--auto-compaction-mode', 'revision', '--auto-compaction-retention', '1h'], 'INVALID_VALUE', /a whole number/);
    expectError(['--auto-compaction-mode', 'weird'], 'INVALID_VALUE', /invalid value "weird" for --auto-compaction-mode: one of periodic, revision/);
  });

  test("parseGoDurationMs reads Go's duration syntax", () => {
    expect(parseGoDurationMs('300ms')).toBe(300);
    expect(parseGoDurationMs('2h45m0.5s')).toBe(2 * 3_600_000 + 45 * 60_000 + 500);
    expect(parseGoDurationMs('1500us')).toBe(1.5);
    expect(parseGoDurationMs('0')).toBe(0);
    for (const bad of ['', '5', 'h', '1x', '1h 30m', '-1h', '1h30']) expect(parseGoDurationMs(bad)).toBeUndefined();
  });
});

describe('the environment', () => {
  test('ETCD_* variables set what their flags set', () => {
    const { config, warnings } = parse([], {
      ETCD_NAME: 'envname',
      ETCD_INITIAL_ADVERTISE_PEER_URLS: 'http://127.0.0.1:12380',
      ETCD_LISTEN_PEER_URLS: 'http://127.0.0.1:12380',
      ETCD_SNAPSHOT_COUNT: '42',
      ETCD_AUTO_COMPACTION_RETENTION: '2h',
      ETCD_HEARTBEAT_INTERVAL: '200',
      ETCD_ELECTION_TIMEOUT: '2000',
    });
    expect(warnings).toEqual([]);
    expect(config).toMatchObject({
      name: 'envname',
      dataDir: 'envname.etcd',
      initialCluster: [{ name: 'envname', peerUrls: ['http://127.0.0.1:12380'] }],
      listenPeerUrls: ['http://127.0.0.1:12380'],
      snapshotCount: 42,
      autoCompaction: { mode: 'periodic', retentionMs: 7_200_000 },
      heartbeatIntervalMs: 200,
      electionTimeoutMs: 2000,
    });
  });

  test('a flag wins over its variable, with a warning', () => {
    const { config, warnings } = parse(['--name', 'flagname'], { ETCD_NAME: 'envname', ETCD_DATA_DIR: '/data' });
    expect(config.name).toBe('flagname');
    expect(config.dataDir).toBe('/data');
    expect(warnings).toEqual(['environment variable ETCD_NAME is shadowed by the command-line flag --name']);
  });

  test('empty variables are ignored; unknown and unsupported ones warn; other variables are not looked at', () => {
    const { config, warnings } = parse([], { ETCD_NAME: '', ETCD_FOO: 'bar', ETCD_WAL_DIR: '/wal', ETCDCTL_API: '3', HOME: '/root' });
    expect(config.name).toBe('default');
    expect(warnings).toEqual(['unrecognized environment variable ETCD_FOO=bar', 'ignored environment variable ETCD_WAL_DIR=/wal: not supported by balsa kv serve']);
  });

  test('a bad value from the environment is reported under the variable', () => {
    expectError([], 'INVALID_VALUE', /invalid value "bogus" for ETCD_INITIAL_CLUSTER_STATE: one of new, existing/, { ETCD_INITIAL_CLUSTER_STATE: 'bogus' });
    expectError([], 'INCONSISTENT', /--advertise-client-urls is required when --listen-client-urls is set explicitly/, { ETCD_LISTEN_CLIENT_URLS: 'http://127.0.0.1:2379' });
  });
});

describe('bad input', () => {
  test('unknown, unsupported and positional arguments', () => {
    expectError(['--foo'], 'UNKNOWN_FLAG', /^flag provided but not defined: --foo$/);
    expectError(['--wal-dir', '/wal'], 'UNSUPPORTED_FLAG', /etcd flag --wal-dir is not supported by balsa kv serve/);
    expectError(['serve'], 'UNEXPECTED_ARGUMENT', /'serve' is not a valid flag/);
    expectError(['--'], 'UNEXPECTED_ARGUMENT', /'--' is not a valid flag/);
  });

  test('a flag without its value', () => {
    expectError(['--name'], 'MISSING_VALUE', /^flag needs an argument: --name$/);
    expectError(['--name', '--data-dir', 'x'], 'MISSING_VALUE', /--name \(the next argument, --data-dir, is a flag\)/);
  });

  test('numbers', () => {
    expectError(['--snapshot-count', 'abc'], 'INVALID_VALUE', /invalid value "abc" for --snapshot-count: a whole number >= 0/);
    expectError(['--snapshot-count', '-5'], 'INVALID_VALUE', /--snapshot-count/);
    expectError(['--max-request-bytes', '1.5'], 'INVALID_VALUE', /--max-request-bytes/);
    expectError(['--max-request-bytes', '0'], 'INVALID_VALUE', /--max-request-bytes: must be greater than 0/);
    expectError(['--quota-backend-bytes', '2GiB'], 'INVALID_VALUE', /--quota-backend-bytes: a whole number of bytes/);
  });

  test('client limits: etcd\'s --max-concurrent-streams (its default by name too) and Balsa\'s --max-watchers-per-stream', () => {
    const limits = (argv: string[], env: Record<string, string> = {}) => parse(argv, env).config.clientLimits;
    expect(limits(['--max-concurrent-streams', '100', '--max-watchers-per-stream=5'])).toEqual({ maxConcurrentStreams: 100, maxWatchersPerStream: 5 });
    expect(limits(['--max-concurrent-streams', 'math.MaxUint32']).maxConcurrentStreams).toBe(2 ** 32 - 1);
    expect(limits([], { ETCD_MAX_CONCURRENT_STREAMS: '7' }).maxConcurrentStreams).toBe(7);
    expectError(['--max-concurrent-streams', '0'], 'INVALID_VALUE', /^--max-concurrent-streams: must be a whole number from 1 to 4294967295$/);
    expectError(['--max-concurrent-streams', '4294967296'], 'INVALID_VALUE', /--max-concurrent-streams: must be a whole number from 1 to 4294967295/);
    expectError(['--max-watchers-per-stream', 'many'], 'INVALID_VALUE', /invalid value "many" for --max-watchers-per-stream/);
  });

  test('timing: a heartbeat, an election timeout of at least 5 heartbeats and at most 50 s', () => {
    expectError(['--heartbeat-interval', '0'], 'INVALID_VALUE', /--heartbeat-interval must be >0/);
    expectError(['--election-timeout', '300'], 'INCONSISTENT', /--election-timeout\[300ms\] should be at least as 5 times as --heartbeat-interval\[100ms\]/);
    expectError(['--heartbeat-interval', '1000', '--election-timeout', '60000'], 'INVALID_VALUE', /is too long, and should be set less than 50000ms/);
    expect(parse(['--heartbeat-interval', '100', '--election-timeout', '500']).config.electionTimeoutMs).toBe(500);
  });

  test('URLs: http or https, host:port, no path; a listen URL binds an IP address or localhost', () => {
    const lc = (url: string) => ['--listen-client-urls', url, '--advertise-client-urls', 'http://localhost:2379'];
    expectError(lc('127.0.0.1:2379'), 'INVALID_URL', /invalid URL "127.0.0.1:2379" for --listen-client-urls: expected http:\/\/host:port/);
    expectError(lc('unix://sock:1'), 'INVALID_URL', /the scheme must be http or https, not unix/);
    expectError(lc('http://127.0.0.1:2379/path'), 'INVALID_URL', /URL must not contain a path/);
    expectError(lc('http://127.0.0.1'), 'INVALID_URL', /does not have the form "host:port"/);
    expectError(lc('http://127.0.0.1:99999'), 'INVALID_URL', /port 99999 is out of range/);
    expectError(lc('http://foo.example:2379'), 'INVALID_URL', /expected IP in URL for binding/);
    expectError(lc('http://127.0.0.1:2379,'), 'INVALID_URL', /an empty URL/);
    expectError(lc('http://[zz::1]:2379'), 'INVALID_URL', /not an IPv6 address/);
    // Any IP binds, loopback or not; an advertised URL may name any host.
    expect(parse(lc('http://192.168.1.10:2379')).config.listenClientUrls).toEqual(['http://192.168.1.10:2379']);
    expect(parse(['--advertise-client-urls', 'http://etcd-1.example:2379']).config.advertiseClientUrls).toEqual(['http://etcd-1.example:2379']);
  });

  test('the initial cluster must name this member at its advertised peer URLs', () => {
    expectError(['--name', 'x', '--initial-cluster', 'y=http://localhost:2380'], 'INCONSISTENT', /couldn't find local name "x" in the initial cluster configuration/);
    expectError(['--initial-cluster', 'default=http://localhost:2381'], 'INCONSISTENT', /--initial-cluster has default=http:\/\/localhost:2381 but --initial-advertise-peer-urls is http:\/\/localhost:2380/);
    expectError(['--initial-cluster', 'default'], 'INVALID_VALUE', /"default" is not name=url/);
    expectError(['--initial-cluster', 'default=http://localhost:2380,other=http://localhost:2380'], 'INVALID_VALUE', /appears twice/);
    expectError(['--initial-cluster', 'default=localhost:2380'], 'INVALID_URL', /--initial-cluster/);
    expectError(['--initial-cluster-state', 'bogus'], 'INVALID_VALUE', /invalid value "bogus" for --initial-cluster-state/);
    expectError(['--name', ''], 'INVALID_VALUE', /the name must not be empty/);
  });
});

describe("etcd's ids", () => {
  test("etcd's well-known defaults", () => {
    expect(formatId(memberIdFor(['http://localhost:2380'], 'etcd-cluster'))).toBe('8e9e05c52164694d');
    expect(formatId(clusterIdFor([0x8e9e05c52164694dn]))).toBe('cdf818194e3a8c32');
  });

  test('ids a real etcd 3.4 printed for --name foo --initial-advertise-peer-urls http://127.0.0.1:25380', () => {
    const member = memberIdFor(['http://127.0.0.1:25380'], 'etcd-cluster');
    expect(member).toBe(9368506742490709939n);
    expect(clusterIdFor([member])).toBe(2375181864447732657n);
    const { config } = parse(['--name', 'foo', '--initial-advertise-peer-urls', 'http://127.0.0.1:25380']);
    expect([config.memberId, config.clusterId]).toEqual([9368506742490709939n, 2375181864447732657n]);
  });

  test('the peer URLs are sorted before hashing and the member ids before the cluster id', () => {
    expect(memberIdFor(['http://b:2', 'http://a:1'], 't')).toBe(memberIdFor(['http://a:1', 'http://b:2'], 't'));
    expect(memberIdFor(['http://a:1'], 't1')).not.toBe(memberIdFor(['http://a:1'], 't2'));
    expect(clusterIdFor([3n, 1n, 2n])).toBe(clusterIdFor([1n, 2n, 3n]));
    // A member added later is salted with the time of the addition.
    expect(memberIdFor(['http://a:1'], 't', 1_700_000_000)).not.toBe(memberIdFor(['http://a:1'], 't'));
  });
});

describe('TLS', () => {
  const secureClient = ['--listen-client-urls', 'https://127.0.0.1:2379', '--advertise-client-urls', 'https://127.0.0.1:2379'];
  const securePeer = ['--listen-peer-urls', 'https://127.0.0.1:2380', '--initial-advertise-peer-urls', 'https://127.0.0.1:2380'];

  test("https:// URLs without a certificate are refused with etcd's words", () => {
    expectError(secureClient, 'INCONSISTENT', /^TLS key\/cert \(--cert-file, --key-file\) must be provided for client url https:\/\/127\.0\.0\.1:2379 with HTTPS scheme$/);
    expectError(securePeer, 'INCONSISTENT', /^cannot listen on TLS for 127\.0\.0\.1:2380: KeyFile and CertFile are not presented$/);
  });

  test('the client and peer flags set each side; a trusted CA alone asks for client certificates, as in etcd 3.4', () => {
    const { config } = parse([...secureClient, ...securePeer, '--cert-file', 'c.crt', '--key-file', 'c.key', '--client-cert-auth', '--peer-cert-file', 'p.crt', '--peer-key-file', 'p.key', '--peer-trusted-ca-file', 'ca.crt']);
    expect(config.clientTls).toEqual({ certFile: 'c.crt', keyFile: 'c.key', clientCertAuth: true });
    expect(config.peerTls).toEqual({ certFile: 'p.crt', keyFile: 'p.key', trustedCaFile: 'ca.crt', clientCertAuth: false });
    const options = serverOptionsFromConfig(config);
    expect(options).toMatchObject({ clientAddresses: [], secureClientAddresses: ['127.0.0.1:2379'], peerTls: config.peerTls, clientTls: config.clientTls });
  });

  test('certificates with only http:// URLs warn that they are ignored, as etcd does', () => {
    const { config, warnings } = parse(['--cert-file', 'c.crt', '--key-file', 'c.key', '--peer-cert-file', 'p.crt', '--peer-key-file', 'p.key']);
    expect(warnings).toEqual([
      'scheme is HTTP while key and cert files are present; ignoring key and cert files',
      'scheme is HTTP while peer key and cert files are present; ignoring peer key and cert files',
    ]);
    expect(serverOptionsFromConfig(config)).toMatchObject({ clientAddresses: ['localhost:2379'], secureClientAddresses: [] });
    expect(serverOptionsFromConfig(config).peerTls).toBeUndefined();
  });
});

describe('the options a member runs with', () => {
  test("lease checkpoints: off by default; etcd's 5 minutes with the flag, unless the test knob says otherwise", () => {
    const interval = (argv: string[], env: Record<string, string> = {}) => serverOptionsFromConfig(parse(argv).config, env).leaseCheckpointIntervalMs;
    expect(interval([])).toBe(0);
    expect(interval([], { [LEASE_CHECKPOINT_INTERVAL_ENV]: '2000' })).toBe(0);
    expect(interval(['--experimental-enable-lease-checkpoint'])).toBe(5 * 60_000);
    expect(interval(['--experimental-enable-lease-checkpoint'], { [LEASE_CHECKPOINT_INTERVAL_ENV]: '2000' })).toBe(2000);
    expect(interval(['--experimental-enable-lease-checkpoint'], { [LEASE_CHECKPOINT_INTERVAL_ENV]: 'soon' })).toBe(5 * 60_000);
  });
});

/**
 * Chromium for the browser tests (driven by puppeteer-core), with CI's policy for a missing
 * tool, as `etcd-tools.ts` has for etcd: Debian's `chromium` (which `.ci/run` installs) is
 * found at `$CHROMIUM_PATH`, on `PATH` or in /usr/bin; missing, the suite fails in CI
 * (`CI=true`) and elsewhere is skipped with the reason printed.
 */
import { delimiter, join } from 'node:path';
import { isCi, isExecutable } from '../../kv/testing/etcd-tools.js';

const CHROMIUM_NAMES = ['chromium', 'chromium-browser'];
const FALLBACK_DIRECTORIES = ['/usr/bin', '/usr/local/bin'];
const MISSING_REASON = `chromium not found at $CHROMIUM_PATH, on PATH or in ${FALLBACK_DIRECTORIES.join(', ')} (install Debian's chromium: apt-get install chromium)`;

/** The absolute path of Chromium, undefined when there is none. */
export function locateChromium(): string | undefined {
  const explicit = process.env.CHROMIUM_PATH;
  if (explicit !== undefined && explicit !== '' && isExecutable(explicit)) return explicit;
  const directories = [...(process.env.PATH ?? '').split(delimiter).filter((d) => d !== ''), ...FALLBACK_DIRECTORIES];
  for (const directory of directories) {
    for (const name of CHROMIUM_NAMES) {
      if (isExecutable(join(directory, name))) return join(directory, name);
    }
  }
  return undefined;
}

/** The flags Chromium needs here: no sandbox as root (its sandbox refuses to run as root). */
export function chromiumArgs(): string[] {
  return process.getuid?.() === 0 ? ['--no-sandbox'] : [];
}

/**
 * `describe(name, () => body(chromiumPath))` when Chromium is installed. Missing: throws in
 * CI; elsewhere one test that prints why the suite is skipped.
 */
export function describeWithChromium(name: string, body: (chromiumPath: string) => void): void {
  const path = locateChromium();
  if (path !== undefined) {
    describe(name, () => body(path));
    return;
  }
  if (isCi()) throw new Error(`${name}: ${MISSING_REASON}; CI must have it (.ci/run installs it)`);
  describe(name, () => {
    test('is skipped: chromium not installed', () => {
      console.warn(`${name}: skipped (${MISSING_REASON})`);
    });
  });
}

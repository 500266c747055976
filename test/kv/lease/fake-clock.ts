/** A clock the test moves by hand, for lessors under test. */
export class FakeClock {
  constructor(public ms = 1_000_000) {}

  readonly now = (): number => this.ms;

  advance(ms: number): void {
    this.ms += ms;
  }

  advanceSeconds(seconds: number): void {
    this.ms += seconds * 1000;
  }
}

import type { Recorder } from '../../clientinfo/recorder.js';

const WINDOW = 50;

/**
 * The liveness gauges keep-core added for ROAST: the success rate of the last 50 signing
 * sessions this node coordinated, and how many sessions that rate is over.
 */
export class SigningLiveness {
  private readonly outcomes: boolean[] = [];
  private readonly unregister: (() => void)[];

  constructor(recorder: Recorder) {
    this.unregister = [
      recorder.gaugeSource('performance_signing_attempt_rolling_success_rate', {}, () =>
        this.outcomes.length === 0 ? 1 : this.outcomes.filter(Boolean).length / this.outcomes.length,
      ),
      recorder.gaugeSource(
        'performance_signing_attempt_rolling_sample_count',
        {},
        () => this.outcomes.length,
      ),
    ];
  }

  record(success: boolean): void {
    this.outcomes.push(success);
    if (this.outcomes.length > WINDOW) this.outcomes.shift();
  }

  close(): void {
    for (const unregister of this.unregister) unregister();
  }
}

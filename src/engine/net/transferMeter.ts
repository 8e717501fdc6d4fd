/**
 * Bytes done of a total, the rate over the last seconds and the time left,
 * as one short line for a progress notification or a terminal.
 */

export function formatBytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(n >= 1e8 ? 0 : 1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(0)} kB`;
  return `${n} B`;
}

function formatSeconds(s: number): string {
  if (s < 60) return `${Math.max(1, Math.round(s))} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

export class TransferMeter {
  private done = 0;
  /** (time, bytes received) samples over the rate window */
  private samples: Array<[number, number]> = [];
  private received = 0;

  constructor(
    private total: number,
    private readonly now: () => number = () => Date.now(),
    private readonly windowMs = 5000,
  ) {
    this.samples.push([this.now(), 0]);
  }

  setTotal(total: number): void {
    this.total = total;
  }

  /** bytes added to the files (negative when a file restarts); `network`: false for bytes found already on disk */
  add(delta: number, network = true): void {
    this.done += delta;
    if (network && delta > 0) {
      this.received += delta;
      const t = this.now();
      this.samples.push([t, this.received]);
      while (this.samples.length > 2 && t - this.samples[1]![0] > this.windowMs) this.samples.shift();
    }
  }

  get bytesDone(): number {
    return this.done;
  }

  /** bytes per second over the window, undefined until a second of data */
  rate(): number | undefined {
    const first = this.samples[0]!;
    const last = this.samples[this.samples.length - 1]!;
    const dt = (last[0] - first[0]) / 1000;
    return dt >= 1 ? (last[1] - first[1]) / dt : undefined;
  }

  fraction(): number {
    return this.total > 0 ? Math.min(1, Math.max(0, this.done / this.total)) : 0;
  }

  /** "120 MB of 599 MB, 11.2 MB/s, about 43 s left" */
  describe(): string {
    const parts = [`${formatBytes(Math.max(0, this.done))} of ${formatBytes(this.total)}`];
    const r = this.rate();
    if (r !== undefined && r > 0) {
      parts.push(`${formatBytes(r)}/s`);
      const left = (this.total - this.done) / r;
      if (left > 0) parts.push(`about ${formatSeconds(left)} left`);
    }
    return parts.join(', ');
  }
}

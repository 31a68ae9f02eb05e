import { LiveArea } from './live-area.js';

/**
 * The devnet's output: event lines prefixed with the elapsed time, and a status block that is
 * a table redrawn in place on a terminal, or plain lines otherwise.
 */
export class ConsoleOutput {
  private readonly area: LiveArea | undefined;

  constructor(
    private readonly startedAt: number,
    private readonly out: NodeJS.WriteStream = process.stdout,
  ) {
    this.area = out.isTTY ? new LiveArea(out) : undefined;
  }

  /** Whether the status block is redrawn in place (stdout is a terminal). */
  get live(): boolean {
    return this.area !== undefined;
  }

  say(line: string): void {
    const stamp = `[${((performance.now() - this.startedAt) / 1000).toFixed(1).padStart(6)}s]`;
    if (this.area) this.area.log(`${stamp} ${line}`);
    else this.out.write(`${stamp} ${line}\n`);
  }

  status(lines: string[]): void {
    if (this.area) this.area.update(lines);
    else for (const line of lines) this.say(line);
  }

  /** Leaves the last status on screen; later lines go below it. */
  release(): void {
    this.area?.release();
  }
}

/**
 * A block of lines at the bottom of a terminal, redrawn in place; log lines scroll above it.
 */
export class LiveArea {
  private lines: string[] = [];

  constructor(private readonly out: NodeJS.WriteStream) {}

  update(lines: string[]): void {
    this.out.write(this.erase() + this.draw(lines));
    this.lines = lines;
  }

  /** Writes a line above the area. */
  log(line: string): void {
    this.out.write(`${this.erase()}${line}\n${this.draw(this.lines)}`);
  }

  /** Leaves the last drawing on screen; later output goes below it. */
  release(): void {
    this.lines = [];
  }

  private erase(): string {
    // Cursor to the start of the area's first line, then clear to the end of the screen.
    return this.lines.length ? `\x1b[${this.lines.length}F\x1b[J` : '';
  }

  private draw(lines: string[]): string {
    const width = Math.max(20, (this.out.columns ?? 120) - 1);
    return lines.map((line) => `${line.length > width ? line.slice(0, width) : line}\n`).join('');
  }
}

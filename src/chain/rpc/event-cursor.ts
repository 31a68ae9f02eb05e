import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { z } from 'zod';
import { reasonOf } from '../../log.js';

/** The last chain event a client handed to its listeners: where it resumes after a reconnect or restart. */
export interface EventCursor {
  /** The chain the position belongs to (a chain started afresh has another id). */
  readonly chainId: string;
  readonly seq: number;
  /** The event's block: the last block whose events were processed. */
  readonly block: number;
}

export interface EventCursorStore {
  /** The saved cursor, undefined when there is none; throws a one-line Error when it is unusable. */
  load(): EventCursor | undefined;
  save(cursor: EventCursor): void;
}

const cursorSchema = z.object({
  chainId: z.string().min(1),
  seq: z.number().int().nonnegative(),
  block: z.number().int().nonnegative(),
});

/** A cursor in a small JSON file, replaced atomically on every save. */
export class FileEventCursorStore implements EventCursorStore {
  constructor(readonly path: string) {}

  load(): EventCursor | undefined {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if (err instanceof Error && 'code' in err && err.code === 'ENOENT') return undefined;
      throw new Error(`cannot read the chain event cursor ${this.path}: ${reasonOf(err)}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const parsed = cursorSchema.safeParse(json);
    if (!parsed.success) throw new Error(`the chain event cursor ${this.path} is corrupt`);
    return parsed.data;
  }

  save(cursor: EventCursor): void {
    const temporary = `${this.path}.tmp`;
    const fd = openSync(temporary, 'w', 0o600);
    try {
      writeSync(fd, JSON.stringify(cursor));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, this.path);
  }
}

/** A cursor kept in memory only (the default): replay covers reconnects, not restarts. */
export class MemoryEventCursorStore implements EventCursorStore {
  private cursor: EventCursor | undefined;

  load(): EventCursor | undefined {
    return this.cursor;
  }

  save(cursor: EventCursor): void {
    this.cursor = cursor;
  }
}

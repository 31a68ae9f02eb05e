import { pino } from 'pino';

export type Logger = pino.Logger;

/** JSON lines on stdout; LOG_LEVEL (as in keep-core) sets the level, default info. */
export function createLogger(name = 'keep-client'): Logger {
  return pino({ name, level: process.env.LOG_LEVEL ?? 'info', base: { pid: process.pid } });
}

/** What went wrong, in words: the message of a thrown Error, or the thrown value as text. */
export function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

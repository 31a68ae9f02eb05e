/** A node that cannot start for a reason the operator can fix (a port in use): one line, exit 1. */
export class StartupError extends Error {
  override name = 'StartupError';
}

/** Runs a start-up step, turning a listen failure into a one-line StartupError. */
export async function listening<T>(what: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    const text = String((err as Error).message ?? err);
    const code = /\b(EADDRINUSE|EADDRNOTAVAIL|EACCES)\b/.exec(
      `${(err as NodeJS.ErrnoException).code ?? ''} ${text}`,
    )?.[1];
    if (code) throw new StartupError(`${what} cannot listen: ${code}`);
    throw err;
  }
}

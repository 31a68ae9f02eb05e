import type { Unregister } from './recorder.js';

export type DiagnosticsSource = () => unknown | Promise<unknown>;

/**
 * The `/diagnostics` document: one top-level key per source, registered by the subsystem
 * that owns the information. Sources must never return key material.
 */
export class Diagnostics {
  private readonly sources = new Map<string, DiagnosticsSource>();

  register(name: string, source: DiagnosticsSource): Unregister {
    this.sources.set(name, source);
    return () => {
      if (this.sources.get(name) === source) this.sources.delete(name);
    };
  }

  /** A source that throws is left out; the others are still reported. */
  async snapshot(): Promise<Record<string, unknown>> {
    const document: Record<string, unknown> = {};
    for (const [name, source] of this.sources) {
      try {
        document[name] = await source();
      } catch {
        // left out of this answer
      }
    }
    return document;
  }
}

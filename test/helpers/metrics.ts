import { MetricsRegistries } from '../../src/clientinfo/exposition.js';
import { PromRecorder } from '../../src/clientinfo/prom-recorder.js';
import { type Family, parseExposition, sampleValue } from './exposition.js';

/** A real recorder with its own registry, and a scrape of it, for in-process tests. */
export function scrapedRecorder() {
  const registries = new MetricsRegistries({ processMetrics: false });
  const recorder = new PromRecorder(registries.registry);
  const scrape = async (): Promise<Map<string, Family>> =>
    parseExposition((await registries.render(undefined)).body);
  const value = async (name: string, labels: Record<string, string> = {}) =>
    sampleValue(await scrape(), name, labels) ?? 0;
  return { recorder, scrape, value };
}

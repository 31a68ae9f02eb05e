/**
 * A small parser of the Prometheus text and OpenMetrics formats: the devnet's progress display
 * reads nodes with it, and tests assert on it.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: string;
  help: string;
  samples: Sample[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

function parseValue(text: string): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(text);
}

/** Families keyed by the name in their TYPE line. */
export function parseExposition(body: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const familyOf = (name: string) => {
    let family = families.get(name);
    if (!family) {
      family = { name, type: 'untyped', help: '', samples: [] };
      families.set(name, family);
    }
    return family;
  };
  let current: Family | undefined;
  for (const line of body.split('\n')) {
    if (line.startsWith('# HELP ')) {
      const rest = line.slice(7);
      const space = rest.indexOf(' ');
      current = familyOf(rest.slice(0, space));
      current.help = rest.slice(space + 1);
    } else if (line.startsWith('# TYPE ')) {
      const [name, type] = line.slice(7).split(' ');
      current = familyOf(name!);
      current.type = type!;
    } else if (line.length > 0 && !line.startsWith('#')) {
      const match = SAMPLE.exec(line);
      if (!match) throw new Error(`unparsable sample line: ${line}`);
      const labels: Record<string, string> = {};
      for (const [, key, value] of (match[3] ?? '').matchAll(LABEL)) labels[key!] = value!;
      const sample = { name: match[1]!, labels, value: parseValue(match[4]!) };
      const owner = current && sample.name.startsWith(current.name) ? current : familyOf(sample.name);
      owner.samples.push(sample);
    }
  }
  return families;
}

/** The value of the one sample with this name and exactly these labels, if present. */
export function sampleValue(
  families: Map<string, Family>,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const wanted = JSON.stringify(Object.entries(labels).sort());
  for (const family of families.values()) {
    for (const sample of family.samples) {
      if (sample.name === name && JSON.stringify(Object.entries(sample.labels).sort()) === wanted)
        return sample.value;
    }
  }
  return undefined;
}

export interface Scrape {
  status: number;
  contentType: string;
  body: string;
  families: Map<string, Family>;
}

export async function scrape(url: string, accept?: string): Promise<Scrape> {
  const response = await fetch(url, { headers: accept ? { accept } : {} });
  const body = await response.text();
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    body,
    families: parseExposition(body),
  };
}

import { readFileSync } from 'node:fs';
import { parse as parseToml, TomlError } from 'smol-toml';
import {
  AT_MOST,
  type Config,
  CONFIG_SCHEMA,
  type Field,
  fieldsOf,
  flagName,
  SECTION_NAMES,
  type SectionName,
} from './schema.js';

/** A user error in the configuration: its message is one line naming the key and the value. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

interface RawValue {
  value: unknown;
  origin: string;
}

const show = (value: unknown) =>
  typeof value === 'string' ? JSON.stringify(value) : String(JSON.stringify(value) ?? value);

function findCaseInsensitive(names: readonly string[], wanted: string): string | undefined {
  const lower = wanted.toLowerCase();
  return names.find((name) => name.toLowerCase() === lower);
}

function readToml(file: string): Record<string, unknown> {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigError(`cannot read config file ${file}: ${code}`);
  }
  try {
    return parseToml(source) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof TomlError) {
      const reason = err.message.split('\n')[0];
      throw new ConfigError(
        `config file ${file} is not valid TOML at line ${err.line}, column ${err.column}: ${reason}`,
      );
    }
    throw err;
  }
}

function fromFlag(field: Field, text: string): unknown {
  switch (field.flagKind) {
    case 'integer':
      return /^[+-]?\d+$/.test(text.trim()) ? Number(text) : text;
    case 'number':
      return /^[+-]?(\d+\.?\d*|\.\d+)$/.test(text.trim()) ? Number(text) : text;
    case 'list':
      return text
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item.length > 0);
    case 'boolean':
      return text === 'true' ? true : text === 'false' ? false : text;
    case 'string':
      return text;
  }
}

/**
 * Builds the configuration: defaults, then the TOML file (if any), then command-line flags
 * (`flags` maps a flag name such as `clientInfo.port` to its string value).
 */
export function loadConfig(options: { file?: string; flags?: Record<string, string> } = {}): Config {
  const raw = new Map<string, RawValue>();
  const keyOf = (section: SectionName, key: string) => `${section}.${key}`;

  if (options.file !== undefined) {
    const origin = `in ${options.file}`;
    for (const [sectionName, content] of Object.entries(readToml(options.file))) {
      const section = findCaseInsensitive(SECTION_NAMES, sectionName) as SectionName | undefined;
      if (!section) throw new ConfigError(`unknown config section [${sectionName}] ${origin}`);
      if (typeof content !== 'object' || content === null || Array.isArray(content)) {
        throw new ConfigError(`${section} = ${show(content)} ${origin}: must be a table ([${section}])`);
      }
      const known = fieldsOf(section).map(([key]) => key);
      for (const [keyName, value] of Object.entries(content)) {
        const key = findCaseInsensitive(known, keyName);
        if (!key)
          throw new ConfigError(`unknown config key ${section}.${keyName} = ${show(value)} ${origin}`);
        raw.set(keyOf(section, key), { value, origin });
      }
    }
  }

  for (const [flag, text] of Object.entries(options.flags ?? {})) {
    const match = SECTION_NAMES.flatMap((section) =>
      fieldsOf(section)
        .filter(([key]) => flagName(section, key) === flag)
        .map(([key, field]) => ({ section, key, field })),
    )[0];
    if (!match) throw new ConfigError(`unknown flag --${flag}`);
    raw.set(keyOf(match.section, match.key), {
      value: fromFlag(match.field, text),
      origin: `from --${flag}`,
    });
  }

  const config: Record<string, Record<string, unknown>> = {};
  for (const section of SECTION_NAMES) {
    const values: Record<string, unknown> = {};
    for (const [key, field] of fieldsOf(section)) {
      const given = raw.get(keyOf(section, key));
      const result = field.schema.safeParse(given ? given.value : field.fileDefault);
      if (!result.success) {
        const reason = result.error.issues[0]?.message ?? 'is invalid';
        const origin = given ? ` ${given.origin}` : ' (default)';
        throw new ConfigError(`${section}.${key} = ${show(given?.value)}${origin}: ${reason}`);
      }
      values[key] = result.data;
    }
    config[section] = values;
  }
  for (const [section, key, limitKey] of AT_MOST) {
    const value = config[section]![key] as number;
    const limit = config[section]![limitKey] as number;
    if (value > limit) {
      const origin = raw.get(keyOf(section as SectionName, key))?.origin ?? '(default)';
      throw new ConfigError(
        `${section}.${key} = ${value} ${origin}: must not exceed ${section}.${limitKey} = ${limit}`,
      );
    }
  }
  return config as Config;
}

export { CONFIG_SCHEMA };

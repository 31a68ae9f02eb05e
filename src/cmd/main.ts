import { Command, CommanderError } from 'commander';
import { ConfigError, loadConfig } from '../config/load.js';
import { type Config, describeDefault, fieldsOf, flagName, SECTION_NAMES } from '../config/schema.js';
import { addDevnetOptions } from '../devnet/options.js';
import { createLogger, type Logger } from '../log.js';
import { OperatorKeyError } from '../storage/operator-key-file.js';
import { StorageError } from '../storage/storage-error.js';
import { CLIENT_VERSION } from '../version.js';
import { StartupError } from './startup-error.js';

/** Exit code for user errors: bad flags, bad configuration. */
const USAGE_ERROR = 2;

function fail(message: string, code: number): never {
  process.stderr.write(`keep-client: ${message}\n`);
  process.exit(code);
}

/**
 * Resolves with the signal that asked the process to stop (SIGINT, SIGTERM), keeping the
 * process alive until then whatever else runs. A child of
 * `keep-client devnet` (KEEP_PARENT_PID set) also exits when that parent is gone, so that a
 * devnet killed outright leaves no node running.
 */
function waitForStopSignal(): Promise<string> {
  const keepAlive = setInterval(() => {}, 1 << 30);
  const parent = Number(process.env.KEEP_PARENT_PID);
  return new Promise((resolve) => {
    const stop = (why: string) => {
      clearInterval(keepAlive);
      clearInterval(watchParent);
      resolve(why);
    };
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop(signal));
    // An orphan exits at once, without logging: its output pipe's reader is gone, and the
    // logger would block retrying the write. Key material is already on disk (atomic writes).
    const watchParent = setInterval(() => {
      if (Number.isInteger(parent) && parent > 0 && !processExists(parent)) process.exit(0);
    }, 1_000);
  });
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function addConfigFlags(command: Command): Command {
  command.option('-c, --config <file>', 'TOML configuration file (flags override its values)');
  for (const section of SECTION_NAMES) {
    for (const [key, field] of fieldsOf(section)) {
      command.option(
        `--${flagName(section, key)} <value>`,
        `${field.doc} (default: ${describeDefault(field.fileDefault)})`,
      );
    }
  }
  return command;
}

/** Runs a long-lived command until SIGINT/SIGTERM, then stops it and exits 0. */
async function runUntilSignal(
  options: Record<string, string>,
  begin: (config: Config, log: Logger) => Promise<{ stop(): Promise<void> }>,
): Promise<void> {
  const { config: file, ...flags } = options;
  const config = loadConfig({ file, flags });
  const log = createLogger();
  const running = await begin(config, log);
  const signal = await waitForStopSignal();
  log.info({ signal }, 'stopping');
  await running.stop();
  process.exit(0);
}

// Loaded only when used: a config error answers without loading the network stack.
const start = (options: Record<string, string>) =>
  runUntilSignal(options, async (config, log) => (await import('./node.js')).startNode(config, log));
const chain = (options: Record<string, string>) =>
  runUntilSignal(options, async (config, log) =>
    (await import('./chain-command.js')).startChainCommand(config, log),
  );
const devnet = async (options: Record<string, string | boolean>) =>
  (await import('../devnet/devnet-command.js')).runDevnet(options);

export async function main(argv: string[]): Promise<void> {
  const program = new Command('keep-client')
    .description('keep-core-ts: a threshold-signing network node with performance metrics on /metrics')
    .version(CLIENT_VERSION)
    .exitOverride()
    .configureOutput({
      outputError: (text, write) =>
        write(
          `keep-client: ${text
            .replace(/^error: /, '')
            .trim()
            .replace(/\s*\n\s*/g, ' ')}\n`,
        ),
    });

  addConfigFlags(
    program.command('start').description('Start the node (with defaults when no --config is given)'),
  ).action(start);
  addConfigFlags(
    program
      .command('chain')
      .description(
        'Serve a local chain to node processes on 127.0.0.1:[chain] Port (their [chain] URL points at it)',
      ),
  ).action(chain);
  addDevnetOptions(
    program
      .command('devnet')
      .description(
        'Run a local network: a chain server, N node processes and Prometheus; request a wallet and a beacon group (then relay entries) and show progress',
      ),
  ).action(devnet);

  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : USAGE_ERROR);
    if (err instanceof ConfigError || err instanceof OperatorKeyError) fail(err.message, USAGE_ERROR);
    if (err instanceof StartupError || err instanceof StorageError) fail(err.message, 1);
    throw err;
  }
}

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ALERT_RULES } from '../../src/devnet/devnet-prometheus.js';
import {
  alive,
  type DevnetState,
  processesMentioning,
  prometheusQuery,
  readState,
  startDevnet,
} from '../helpers/devnet.js';
import { sampleValue, scrape } from '../helpers/exposition.js';
import { eventually } from '../helpers/wait.js';
import { runCli, tempDir } from '../helpers/process.js';
import { toolSkipReason } from '../helpers/tools.js';

function childPids(state: DevnetState): number[] {
  return [
    state.chain.pid,
    ...state.nodes.map((n) => n.pid),
    ...(state.prometheus ? [state.prometheus.pid] : []),
  ];
}

describe('keep-client devnet flags', () => {
  test('--help lists every devnet flag with its default', async () => {
    const { code, stdout } = await runCli(['devnet', '--help']);
    assert.equal(code, 0);
    for (const flag of [
      '--nodes <n>',
      '--group-size <n>',
      '--group-quorum <n>',
      '--threshold <n>',
      '--block-time <duration>',
      '--production-shape',
      '--dir <path>',
      '--duration <duration>',
      '--no-prometheus',
    ])
      assert.ok(stdout.includes(flag), `--help mentions ${flag}`);
    assert.match(stdout, /--nodes <n>\s+number of node processes \(default: 4\)/);
  });

  test('bad flags stop it with one line and exit code 2', async () => {
    const dir = tempDir();
    writeFileSync(join(dir.path, 'something'), '');
    for (const [args, message] of [
      [['--nodes', '0'], 'keep-client: --nodes = "0": must be an integer from 1 to 64\n'],
      [['--threshold', '1'], 'keep-client: --threshold = "1": must be an integer from 2 to 20\n'],
      [['--threshold', '19'], 'keep-client: --threshold = 19: must not exceed the group quorum (18)\n'],
      [
        ['--group-size', '10', '--group-quorum', '11'],
        'keep-client: --group-quorum = "11": must be an integer from 1 to 10\n',
      ],
      [
        ['--block-time', 'soon'],
        'keep-client: --block-time = "soon": must be a duration of at least 10 ms such as "250ms", "30s" or "2m"\n',
      ],
      [
        ['--dir', dir.path],
        `keep-client: --dir = ${JSON.stringify(dir.path)}: must be a new or empty directory\n`,
      ],
    ] as const) {
      const result = await runCli(['devnet', ...args]);
      assert.equal(result.code, 2, args.join(' '));
      assert.equal(result.stderr, message);
    }
    dir.remove();
  });
});

describe('keep-client devnet: a chain, node processes and Prometheus from one command', () => {
  const dir = tempDir('keep-devnet-test-');
  const devnetDir = join(dir.path, 'net');
  const prometheusSkip = toolSkipReason('prometheus');
  // A safety bound: the test stops the devnet with SIGINT long before.
  let devnet: ReturnType<typeof startDevnet>;
  before(() => {
    devnet = startDevnet(['--dir', devnetDir, '--group-size', '10', '--duration', '5m']);
  });
  after(async () => {
    if (devnet?.child.exitCode === null) devnet.child.kill('SIGKILL');
    if (existsSync(join(devnetDir, 'devnet.json')))
      for (const pid of childPids(readState(devnetDir))) if (alive(pid)) process.kill(pid, 'SIGKILL');
    dir.remove();
  });

  let state: DevnetState;

  test('prints every node’s /metrics URL, and each one answers', async () => {
    await devnet.line(/requested a wallet/, 90_000);
    state = readState(devnetDir);
    assert.equal(state.nodes.length, 4);
    for (const node of state.nodes) {
      assert.ok(devnet.output().includes(`${node.name}: ${node.metrics}`), `${node.name}'s URL is printed`);
      const { status, families } = await scrape(node.metrics);
      assert.equal(status, 200);
      assert.equal(sampleValue(families, 'eth_connectivity') ?? 1, 1);
      assert.ok(statSync(node.log).size > 0, `${node.name} logs to ${node.log}`);
    }
    assert.ok(statSync(state.chain.log).size > 0);
  });

  test('a wallet appears, and its members run heartbeats: the counter moves between two real scrapes', async () => {
    const registered = await devnet.line(/wallet \w+… registered at block \d+/, 90_000);
    const holders = state.nodes.filter((node) => new RegExp(`${node.name} \\d+`).test(registered));
    assert.ok(holders.length > 0);
    const heartbeats = async (url: string) =>
      sampleValue((await scrape(url)).families, 'performance_wallet_action_success_total', {
        action: 'heartbeat',
      }) ?? 0;
    const before = await Promise.all(holders.map((node) => heartbeats(node.metrics)));
    for (const [i, node] of holders.entries())
      await eventually(
        () => heartbeats(node.metrics),
        (v) => v > before[i]!,
        60_000,
        `a heartbeat on ${node.name}`,
      );
    for (const node of holders) {
      const { families } = await scrape(node.metrics);
      assert.ok((sampleValue(families, 'performance_signing_success_total') ?? 0) > 0);
    }
    // stdout is a pipe: the status comes as plain lines.
    await devnet.line(
      new RegExp(`${holders[0]!.name} running peers=3 .*wallets=1 .*heartbeats=[1-9]`),
      30_000,
    );
  });

  test('Prometheus scrapes every node', { skip: prometheusSkip }, async () => {
    assert.ok(state.prometheus, 'prometheus started');
    assert.ok(devnet.output().includes(`prometheus: ${state.prometheus.url}`));
    const targets = await eventually(
      async () => {
        const body = (await (await fetch(`${state.prometheus!.url}/api/v1/targets?state=active`)).json()) as {
          data: { activeTargets: { health: string; labels: Record<string, string> }[] };
        };
        return body.data.activeTargets;
      },
      (active) => active.length === 4 && active.every((t) => t.health === 'up'),
      30_000,
      'four healthy targets',
    );
    assert.deepEqual(targets.map((t) => t.labels.node).sort(), ['node-0', 'node-1', 'node-2', 'node-3']);
    const heartbeats = await eventually(
      () =>
        prometheusQuery(
          state.prometheus!.url,
          'performance_wallet_action_success_total{action="heartbeat"} > 0',
        ),
      (result) => result.length > 0,
      30_000,
      'heartbeats in Prometheus',
    );
    assert.ok(heartbeats.every((series) => series.metric.node?.startsWith('node-')));
    // The monitoring kit's alert rules, once they exist, are loaded.
    if (existsSync(ALERT_RULES)) {
      assert.match(devnet.output(), /prometheus: .*; alert rules /);
      const rules = (await (await fetch(`${state.prometheus.url}/api/v1/rules`)).json()) as {
        data: { groups: unknown[] };
      };
      assert.ok(rules.data.groups.length > 0);
    }
  });

  test('a child that dies is reported with its log file', async () => {
    const victim = state.nodes[3]!;
    process.kill(victim.pid, 'SIGKILL');
    await devnet.line(
      new RegExp(`node-3 exited unexpectedly \\(signal SIGKILL\\); its log: ${victim.log}`),
      10_000,
    );
  });

  test('SIGINT stops every child process and exits 0', async () => {
    const pids = childPids(state).filter(alive);
    assert.equal(
      pids.length,
      1 + 3 + (state.prometheus ? 1 : 0),
      'the chain, three nodes and prometheus run',
    );
    devnet.child.kill('SIGINT');
    const exit = await devnet.exited;
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.match(devnet.output(), /stopping \(SIGINT\)/);
    assert.deepEqual(pids.filter(alive), [], 'no chain, node or prometheus process is left');
    assert.deepEqual(processesMentioning(devnetDir), [], 'no process refers to the devnet directory');
  });
});

describe('keep-client devnet without Prometheus installed', () => {
  test('says how to install it, carries on, and a --duration run that formed a wallet exits 0', async () => {
    const dir = tempDir();
    // A PATH with a shell and nothing else: no prometheus on it.
    const bin = join(dir.path, 'bin');
    mkdirSync(bin);
    symlinkSync('/bin/sh', join(bin, 'sh'));
    const devnet = startDevnet(
      ['--dir', join(dir.path, 'net'), '--nodes', '1', '--group-size', '2', '--duration', '25s'],
      {
        PATH: bin,
      },
    );
    const exit = await devnet.exited;
    assert.deepEqual(exit, { code: 0, signal: null }, devnet.output());
    assert.match(
      devnet.output(),
      /prometheus: not installed, carrying on without it \(to get it: apt-get install prometheus\)/,
    );
    assert.match(devnet.output(), /wallet \w+… registered at block \d+, .*; seats: node-0 2/);
    assert.match(devnet.output(), /stopping \(--duration 25s\)/);
    const state = readState(join(dir.path, 'net'));
    assert.equal(state.prometheus, null);
    assert.deepEqual(childPids(state).filter(alive), []);
    dir.remove();
  });
});

describe('keep-client devnet killed outright', () => {
  test('its chain and node processes notice and stop by themselves', async () => {
    const dir = tempDir();
    const net = join(dir.path, 'net');
    const devnet = startDevnet(['--dir', net, '--nodes', '1', '--group-size', '2', '--no-prometheus']);
    await devnet.line(/node-0: http/, 60_000);
    await eventually(() => existsSync(join(net, 'devnet.json')), Boolean, 30_000, 'devnet.json written');
    const pids = childPids(readState(net)).filter(alive);
    assert.equal(pids.length, 2, 'the chain and one node run');
    devnet.child.kill('SIGKILL');
    await devnet.exited;
    await eventually(
      () => pids.filter(alive),
      (left) => left.length === 0,
      15_000,
      'children gone',
    );
    dir.remove();
  });
});

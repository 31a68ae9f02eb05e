import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { formatDuration, parseDuration } from '../../src/config/duration.js';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { runCli, tempDir } from '../helpers/process.js';

const dir = tempDir();
after(() => dir.remove());

function configFile(name: string, text: string): string {
  const path = join(dir.path, name);
  writeFileSync(path, text);
  return path;
}

describe('duration strings', () => {
  test('parse Go-style durations to milliseconds', () => {
    assert.equal(parseDuration('30s'), 30_000);
    assert.equal(parseDuration('1m'), 60_000);
    assert.equal(parseDuration('1m30s'), 90_000);
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('1.5h'), 5_400_000);
    assert.equal(parseDuration('0'), 0);
  });
  test('reject anything else', () => {
    for (const bad of ['', '1', '1x', 'm', '-1s', '1m 30s', '1m30', 's1']) {
      assert.equal(parseDuration(bad), undefined, bad);
    }
  });
  test('format back to the shortest string', () => {
    assert.equal(formatDuration(60_000), '1m');
    assert.equal(formatDuration(90_000), '1m30s');
    assert.equal(formatDuration(3_600_250), '1h250ms');
  });
});

describe('loadConfig', () => {
  test('defaults without a file', () => {
    const config = loadConfig();
    assert.equal(config.ClientInfo.Port, 9601);
    assert.equal(config.ClientInfo.Address, '127.0.0.1');
    assert.equal(config.ClientInfo.NetworkMetricsTick, 60_000);
    assert.equal(config.ClientInfo.EthereumMetricsTick, 600_000);
    assert.equal(config.ClientInfo.BitcoinMetricsTick, 600_000);
  });

  test('the longest duration a timer holds is accepted', () => {
    const config = loadConfig({ flags: { 'clientInfo.networkMetricsTick': '596h' } });
    assert.equal(config.ClientInfo.NetworkMetricsTick, 596 * 3_600_000);
    assert.ok(config.ClientInfo.NetworkMetricsTick < 2 ** 31);
  });

  test('file values, keys matched case-insensitively, flags override the file', () => {
    const file = configFile(
      'ok.toml',
      '[clientinfo]\nport = 9650\nNetworkMetricsTick = "30s"\n[storage]\nDir = "/tmp/x"\n',
    );
    const fromFile = loadConfig({ file });
    assert.equal(fromFile.ClientInfo.Port, 9650);
    assert.equal(fromFile.ClientInfo.NetworkMetricsTick, 30_000);
    assert.equal(fromFile.storage.Dir, '/tmp/x');
    const overridden = loadConfig({ file, flags: { 'clientInfo.port': '9700', 'storage.dir': '/tmp/y' } });
    assert.equal(overridden.ClientInfo.Port, 9700);
    assert.equal(overridden.storage.Dir, '/tmp/y');
    assert.equal(overridden.ClientInfo.NetworkMetricsTick, 30_000);
  });

  test('errors name the key and the value', () => {
    const cases: [string, RegExp][] = [
      ['[ClientInfo]\nPort = 70000\n', /ClientInfo\.Port = 70000 .*0 to 65535/],
      ['[ClientInfo]\nPort = -1\n', /ClientInfo\.Port = -1 /],
      ['[ClientInfo]\nPort = "9601"\n', /ClientInfo\.Port = "9601" /],
      [
        '[ClientInfo]\nEthereumMetricsTick = "10 minutes"\n',
        /ClientInfo\.EthereumMetricsTick = "10 minutes" .*duration/,
      ],
      ['[ClientInfo]\nNetworkMetricsTick = 60\n', /ClientInfo\.NetworkMetricsTick = 60 .*duration/],
      ['[ClientInfo]\nPortt = 1\n', /unknown config key ClientInfo\.Portt = 1/],
      ['[metrics]\nPort = 1\n', /unknown config section \[metrics\]/],
      ['ClientInfo = 3\n', /ClientInfo = 3 .*table/],
      ['[network]\nPeers = ["127.0.0.1:3919"]\n', /network\.Peers = \["127\.0\.0\.1:3919"\] .*multiaddrs/],
      [
        '[network]\nAllowedOperators = ["0x12"]\n',
        /network\.AllowedOperators = \["0x12"\] .*operator addresses/,
      ],
      ['[network]\nPingTimeout = "forever"\n', /network\.PingTimeout = "forever"/],
      // Node's timers overflow past 2^31 ms and fire at once.
      ['[ClientInfo]\nNetworkMetricsTick = "1000h"\n', /NetworkMetricsTick = "1000h" .*at most "596h"/],
      ['[chain]\nBlockTime = "1000h"\n', /chain\.BlockTime = "1000h" .*at most "596h"/],
      ['[network]\nPingTimeout = "597h"\n', /network\.PingTimeout = "597h" .*at most "596h"/],
      ['[ClientInfo]\nAddress = "localhost"\n', /ClientInfo\.Address = "localhost" .*IP address/],
      ['[network]\nAddress = "10.0.0"\n', /network\.Address = "10\.0\.0" .*IP address/],
      [
        '[tbtc]\nGroupSize = 10\nGroupQuorum = 10\nHonestThreshold = 11\n',
        /tbtc\.HonestThreshold = 11 in .*: must not exceed tbtc\.GroupSize = 10/,
      ],
      [
        '[tbtc]\nGroupSize = 20\n',
        /tbtc\.GroupQuorum = 90 \(default\): must not exceed tbtc\.GroupSize = 20/,
      ],
      [
        '[beacon]\nGroupSize = 8\nGroupQuorum = 8\nGroupThreshold = 9\n',
        /beacon\.GroupThreshold = 9 in .*: must not exceed beacon\.GroupSize = 8/,
      ],
    ];
    for (const [text, expected] of cases) {
      const file = configFile('bad.toml', text);
      assert.throws(
        () => loadConfig({ file }),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError, String(err));
          assert.match(err.message, expected);
          assert.ok(!err.message.includes('\n'), 'one line');
          return true;
        },
      );
    }
  });
});

describe('keep-client CLI user errors', () => {
  const expectUsageError = async (args: string[], expected: RegExp) => {
    const result = await runCli(args, { cwd: dir.path });
    assert.equal(result.code, 2, `exit code for ${args.join(' ')}: ${result.stderr}`);
    const lines = result.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, `one line: ${result.stderr}`);
    assert.match(lines[0]!, expected);
    assert.doesNotMatch(result.stderr, /\bat .*\.js:\d+/, 'no stack trace');
  };

  test('port out of range from a flag', () =>
    expectUsageError(
      ['start', '--clientInfo.port', '70000'],
      /ClientInfo\.Port = 70000 from --clientInfo\.port/,
    ));
  test('wrong type from a flag', () =>
    expectUsageError(['start', '--clientInfo.port', 'nine'], /ClientInfo\.Port = "nine"/));
  test('bad duration from a flag', () =>
    expectUsageError(['start', '--clientInfo.networkMetricsTick', '1x'], /NetworkMetricsTick = "1x"/));
  test('a duration timers cannot hold, from a flag', () =>
    expectUsageError(
      ['start', '--clientInfo.networkMetricsTick', '1000h'],
      /^keep-client: ClientInfo\.NetworkMetricsTick = "1000h" from --clientInfo\.networkMetricsTick: must be at most "596h"/,
    ));
  test('a listen address that is not an IP address', () =>
    expectUsageError(['start', '--network.address', 'example.org'], /network\.Address = "example\.org"/));
  test('a threshold larger than the group', () =>
    expectUsageError(
      ['start', '--beacon.groupSize', '5', '--beacon.groupQuorum', '5', '--beacon.groupThreshold', '6'],
      /beacon\.GroupThreshold = 6 from --beacon\.groupThreshold: must not exceed beacon\.GroupSize = 5/,
    ));
  test('unknown key in the file', () =>
    expectUsageError(
      ['start', '--config', configFile('u.toml', '[ClientInfo]\nBogus = true\n')],
      /ClientInfo\.Bogus = true/,
    ));
  test('bad duration in the file', () =>
    expectUsageError(
      ['start', '--config', configFile('d.toml', '[ClientInfo]\nBitcoinMetricsTick = "soon"\n')],
      /BitcoinMetricsTick = "soon"/,
    ));
  test('invalid TOML', () =>
    expectUsageError(
      ['start', '--config', configFile('t.toml', '[ClientInfo\n')],
      /not valid TOML at line 1/,
    ));
  test('missing config file', () =>
    expectUsageError(['start', '--config', 'nope.toml'], /cannot read config file nope\.toml: ENOENT/));
  test('unknown flag', () =>
    expectUsageError(['start', '--clientInfo.prot', '1'], /unknown option '--clientInfo\.prot'/));

  test('--help lists every config flag and exits 0', async () => {
    const result = await runCli(['start', '--help']);
    assert.equal(result.code, 0);
    for (const flag of [
      '--clientInfo.port',
      '--clientInfo.address',
      '--clientInfo.networkMetricsTick',
      '--storage.dir',
    ]) {
      assert.ok(result.stdout.includes(flag), flag);
    }
  });
});

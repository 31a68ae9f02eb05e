import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { stringify } from 'yaml';
import { fallbackPanel, familyPanels, renderDashboard } from '../../scripts/dashboard.js';
import { catalog, FAMILIES, METRIC_NAMES } from '../../src/clientinfo/catalog.js';
import { tempDir } from '../helpers/process.js';
import {
  checkQueries,
  dashboardFile,
  dashboardQueries,
  knownMetrics,
  readRepoFile,
  withoutGrafanaVariables,
} from '../helpers/promql.js';
import { toolSkipReason } from '../helpers/tools.js';

describe('monitoring/grafana-dashboard.json', () => {
  const dashboard = dashboardFile();
  const queries = dashboardQueries(dashboard);

  test('is the dashboard generated from the catalog (run npm run monitoring:dashboard)', () => {
    assert.equal(readRepoFile('monitoring/grafana-dashboard.json'), renderDashboard());
  });

  test('is a Grafana dashboard with a Prometheus data source variable and an instance variable', () => {
    assert.ok(
      dashboard.schemaVersion >= 36 && dashboard.schemaVersion <= 41,
      `schemaVersion ${dashboard.schemaVersion}`,
    );
    const variables = new Map(dashboard.templating.list.map((v) => [v.name, v]));
    assert.equal(variables.get('datasource')?.type, 'datasource');
    assert.equal(variables.get('datasource')?.query, 'prometheus');
    assert.equal(variables.get('instance')?.type, 'query');
    for (const panel of dashboard.panels)
      if (panel.type !== 'row')
        assert.deepEqual((panel as { datasource?: unknown }).datasource, {
          type: 'prometheus',
          // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax
          uid: '${datasource}',
        });
    for (const { where, expr } of queries)
      if (where.startsWith('panel') && !expr.includes('$instance'))
        assert.fail(`${where} does not filter on the instance variable: ${expr}`);
  });

  test('has a row per metric family, in catalog order, with that family’s metrics in it', () => {
    const rows = dashboard.panels.filter((panel) => panel.type === 'row').map((panel) => panel.title);
    assert.deepEqual(rows, ['Overview', ...FAMILIES]);
    const known = knownMetrics();
    let family: string | undefined;
    const usedIn = new Map<string, Set<string>>();
    for (const panel of dashboard.panels) {
      if (panel.type === 'row') {
        family = panel.title;
        continue;
      }
      const { used } = checkQueries(
        (panel.targets ?? []).map((t) => ({ where: panel.title ?? '', expr: t.expr ?? '' })),
        known,
      );
      for (const name of used) usedIn.set(name, (usedIn.get(name) ?? new Set()).add(family ?? ''));
    }
    for (const name of METRIC_NAMES)
      assert.ok(
        usedIn.get(name)?.has(catalog[name].family),
        `${name} is not shown in row ${catalog[name].family}`,
      );
  });

  test('every PromQL expression parses and names only exported metrics; every catalog metric is shown', () => {
    assert.ok(queries.length > 40, `${queries.length} queries`);
    const { problems, used } = checkQueries(queries);
    assert.deepEqual(problems, []);
    const missing = METRIC_NAMES.filter((name) => !used.has(name));
    assert.deepEqual(missing, [], 'catalog metrics absent from the dashboard');
  });

  test('has p50/p95 of every histogram, success ratios, queue sizes per channel, peers and relay entries', () => {
    for (const name of METRIC_NAMES) {
      if (catalog[name].type !== 'histogram') continue;
      const quantiles = queries.filter((q) => q.expr.includes(`${name}_bucket`)).map((q) => q.expr);
      assert.ok(
        quantiles.some((q) => q.startsWith('histogram_quantile(0.5,')),
        `${name} p50`,
      );
      assert.ok(
        quantiles.some((q) => q.startsWith('histogram_quantile(0.95,')),
        `${name} p95`,
      );
    }
    const titles = dashboard.panels.map((panel) => panel.title);
    for (const title of [
      'Signing success ratio ($window)',
      'Wallet action success ratio ($window)',
      'Ping success ratio ($window)',
      'Relay entry success ratio ($window)',
      'Incoming message queue per channel',
      'Handler queue per channel and handler',
      'Connected peers',
      'Relay entries per $window',
    ])
      assert.ok(titles.includes(title), title);
  });

  test('a catalog metric no hand-written panel names still gets a panel of its own', () => {
    const known = knownMetrics();
    for (const name of METRIC_NAMES) {
      const panel = fallbackPanel(name);
      const { problems, used } = checkQueries(
        panel.targets.map((t) => ({ where: name, expr: t.expr })),
        known,
      );
      assert.deepEqual(problems, []);
      assert.deepEqual([...used], [name]);
    }
    for (const family of FAMILIES) assert.ok(familyPanels(family).length > 0, family);
  });

  test('Prometheus’s own parser accepts every expression (promtool check rules)', {
    skip: toolSkipReason('promtool'),
  }, () => {
    const dir = tempDir('keep-dashboard-');
    try {
      const rules = queries
        .filter((q) => q.where.startsWith('panel'))
        .map((q, i) => ({ record: `dashboard:query_${i}`, expr: withoutGrafanaVariables(q.expr) }));
      const file = join(dir.path, 'dashboard-queries.yml');
      writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules }] }));
      const run = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
      assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
      assert.match(run.stdout, new RegExp(`SUCCESS: ${rules.length} rules found`));

      // and it is a real check: a range vector where an instant vector belongs is refused
      writeFileSync(
        file,
        stringify({ groups: [{ name: 'bad', rules: [{ record: 'x', expr: 'sum(up[5m])' }] }] }),
      );
      assert.notEqual(spawnSync('promtool', ['check', 'rules', file]).status, 0);
    } finally {
      dir.remove();
    }
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { alertRules, checkQueries, markdownSections, promqlBlocks, readRepoFile } from '../helpers/promql.js';

describe('the runbook in docs/operations.md', () => {
  const doc = readRepoFile('docs/operations.md');
  const sections = markdownSections(doc);
  const rules = alertRules();

  test('has a section for every alert, at the anchor of its runbook_url', () => {
    for (const rule of rules) {
      const anchor = rule.annotations?.runbook_url?.split('#')[1] ?? '';
      const section = sections.get(anchor);
      assert.ok(section, `no section #${anchor} for ${rule.alert}`);
      assert.equal(section.heading, rule.alert);
    }
  });

  test('every section says what the alert means, how to confirm it with a query and what to do', () => {
    for (const rule of rules) {
      const body = sections.get(rule.alert.toLowerCase())?.body ?? '';
      for (const part of ['**What it means.**', '**Confirm.**', '**What to do.**'])
        assert.ok(body.includes(part), `${rule.alert}: no ${part}`);
      assert.ok(promqlBlocks(body).length > 0, `${rule.alert}: no promql block to confirm it`);
    }
  });

  test('its queries parse and name only exported metrics', () => {
    const queries = [...sections.values()].flatMap(({ heading, body }) =>
      promqlBlocks(body).map((expr) => ({ where: heading, expr })),
    );
    assert.ok(queries.length >= rules.length);
    assert.deepEqual(checkQueries(queries).problems, []);
  });

  test('has no section for an alert that does not exist', () => {
    const names = new Set(rules.map((rule) => rule.alert));
    const runbook = doc.slice(doc.indexOf('\n## Runbook'));
    for (const [, { heading }] of markdownSections(runbook))
      if (heading !== 'Runbook') assert.ok(names.has(heading), `stale runbook section ${heading}`);
  });

  test('explains how to run Prometheus with the kit and load the dashboard, and README links it', () => {
    for (const anchor of ['run-prometheus-with-the-kit', 'load-the-dashboard', 'runbook'])
      assert.ok(sections.has(anchor), anchor);
    for (const file of [
      'monitoring/prometheus.yml',
      'monitoring/alerts.yml',
      'monitoring/grafana-dashboard.json',
    ])
      assert.ok(doc.includes(file), file);
    assert.match(readRepoFile('README.md'), /\]\(docs\/operations\.md\)/);
  });
});

import { writeFileSync } from 'node:fs';
import { renderMetricsDoc } from '../src/clientinfo/metrics-doc.js';

writeFileSync('docs/metrics.md', renderMetricsDoc());
console.log('wrote docs/metrics.md');

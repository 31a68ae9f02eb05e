import { writeFileSync } from 'node:fs';
import { renderDashboard } from './dashboard.js';

writeFileSync('monitoring/grafana-dashboard.json', renderDashboard());
console.log('wrote monitoring/grafana-dashboard.json');

#!/usr/bin/env node
import { main } from '../dist/src/cmd/main.js';

await main(process.argv);

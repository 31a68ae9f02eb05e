export * from '../../src/clientinfo/exposition-parser.js';

#!/usr/bin/env node
// The agent runs from its TypeScript sources through tsx (the repo has no build step).
require('tsx/cjs');
require('../src/main.ts');

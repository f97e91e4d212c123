#!/usr/bin/env node
// The `portal` command (package.json#bin). npm puts the pinned Node 24 first on
// PATH for `npx portal`, which runs the TypeScript sources directly.
await import('../bff/cli.ts');

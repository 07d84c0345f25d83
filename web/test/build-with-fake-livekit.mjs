// Bundles the page's real entry with livekit-client replaced by test/fake-livekit.js, for browser
// tests of the meeting screen without a LiveKit server. Usage: node test/build-with-fake-livekit.mjs OUT.js
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
await build({
  entryPoints: [join(here, '..', 'src', 'join.js')],
  outfile: process.argv[2],
  bundle: true,
  format: 'esm',
  target: ['es2020'],
  alias: { 'livekit-client': join(here, 'fake-livekit.js') },
  logLevel: 'warning',
});

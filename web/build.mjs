// Bundles the join page (JS + CSS) into the secretary package, under content-hashed names, with a
// manifest.json that the page route reads to link them.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const outdir = join(here, '..', 'layers', 'core', 'python', 'meetings', 'secretary', 'joinpage', 'static');

mkdirSync(outdir, { recursive: true });
for (const name of readdirSync(outdir)) rmSync(join(outdir, name), { recursive: true, force: true });

const result = await build({
  entryPoints: [join(here, 'src', 'join.js'), join(here, 'src', 'join.css')],
  outdir,
  entryNames: '[name]-[hash]',
  bundle: true,
  format: 'esm',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  minify: true,
  metafile: true,
  legalComments: 'linked',
  logLevel: 'warning',
});

const manifest = {};
for (const [output, meta] of Object.entries(result.metafile.outputs)) {
  if (!meta.entryPoint) continue;
  manifest[basename(meta.entryPoint)] = basename(output);
}
writeFileSync(join(outdir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`join page built: ${Object.values(manifest).join(', ')}`);

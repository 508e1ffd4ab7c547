// Builds the extension (one esbuild bundle with the language client inside) and packages it into
// an installable .vsix with @vscode/vsce, offline. `--build-only` stops after the bundle.
import { build } from 'esbuild';
import { createVSIX } from '@vscode/vsce';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const extensionDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export async function buildExtension(): Promise<string> {
  const outfile = join(extensionDir, 'dist', 'extension.js');
  await build({
    entryPoints: [join(extensionDir, 'src', 'extension.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    minify: true,
    sourcemap: false,
    logLevel: 'warning',
  });
  return outfile;
}

/** Builds and packages; returns the path of the .vsix. */
export async function packageExtension(outDir: string = extensionDir): Promise<string> {
  await buildExtension();
  const manifest = JSON.parse(readFileSync(join(extensionDir, 'package.json'), 'utf8')) as { name: string; version: string };
  const packagePath = join(outDir, `${manifest.name}-${manifest.version}.vsix`);
  await createVSIX({
    cwd: extensionDir,
    packagePath,
    dependencies: false, // the bundle already carries vscode-languageclient
    allowMissingRepository: true,
    skipLicense: false,
    rewriteRelativeLinks: false,
  });
  return packagePath;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--build-only')) {
    console.log(await buildExtension());
  } else {
    const out = process.argv.indexOf('--out');
    console.log(await packageExtension(out >= 0 ? resolve(process.argv[out + 1]!) : extensionDir));
  }
}

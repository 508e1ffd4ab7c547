// The prebuilt CLI: cli/main.ts and everything it imports, bundled by esbuild into dist/ (one
// entry, lazily loaded chunks for the runtime, the language server and the graph renderer; npm
// packages stay external). Loading plain JS instead of transpiling TypeScript through tsx takes
// seconds off every command and a good part of the language server's memory.
//
// The bundle rebuilds itself: dist/current.json records each input file's size and mtime; when
// one changed (or esbuild is newer), the next command rebuilds before it runs (~0.5 s). Builds
// go to a fresh folder and are switched to by renaming current.json, so commands running at the
// same time never see a half-written bundle. Without esbuild (an install without dev
// dependencies) the caller falls back to tsx.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const pointer = join(dist, 'current.json');
const entry = 'cli/main.ts';

function readPointer() {
  try {
    return JSON.parse(readFileSync(pointer, 'utf8'));
  } catch {
    return undefined;
  }
}

function stamp(file) {
  try {
    const s = statSync(join(root, file));
    return `${s.size}:${Math.floor(s.mtimeMs)}`;
  } catch {
    return 'missing';
  }
}

function isFresh(current) {
  if (!current || typeof current.inputs !== 'object' || typeof current.dir !== 'string') return false;
  for (const [file, was] of Object.entries(current.inputs)) if (stamp(file) !== was) return false;
  try {
    statSync(join(dist, current.dir, 'main.js'));
  } catch {
    return false;
  }
  return true;
}

// npm packages load from node_modules, except chevrotain: it is made of some 700 small modules
// (lodash-es), whose resolution alone took ~0.2 s of every command; bundled, they cost nothing.
const bundledPackages = new Set(['chevrotain']);

function externalPackages() {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const names = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies }).filter((name) => !bundledPackages.has(name));
  return names.flatMap((name) => [name, `${name}/*`]);
}

/** Builds the bundle into a new folder of dist/ and points current.json at it. */
export async function buildBundle() {
  const esbuild = await import('esbuild');
  const dir = `build-${Date.now().toString(36)}-${process.pid}`;
  // esbuild's service process is stopped once built: the command that rebuilt runs alone after.
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: { main: entry },
    outdir: join(dist, dir),
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: externalPackages(),
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'silent',
    chunkNames: 'chunk-[hash]',
  }).finally(() => esbuild.stop());
  const inputs = { 'package.json': stamp('package.json'), 'node_modules/esbuild/package.json': stamp('node_modules/esbuild/package.json') };
  for (const file of Object.keys(result.metafile.inputs)) inputs[file] = stamp(file);
  const tmp = join(dist, `current.${process.pid}.json`);
  writeFileSync(tmp, `${JSON.stringify({ dir, entry, builtAt: new Date().toISOString(), inputs }, null, 1)}\n`);
  renameSync(tmp, pointer);
  removeOldBuilds(dir);
  return join(dist, dir, 'main.js');
}

// Older builds stay a while: a command started from one may still load a chunk of it.
function removeOldBuilds(keep) {
  const hour = 60 * 60 * 1000;
  for (const name of readdirSync(dist)) {
    if (!name.startsWith('build-') || name === keep) continue;
    try {
      if (Date.now() - statSync(join(dist, name)).mtimeMs > hour) rmSync(join(dist, name), { recursive: true, force: true });
    } catch {
      // another command removed it first
    }
  }
}

/** The bundle's entry (a file URL), rebuilt first if a source changed; undefined without esbuild. */
export async function bundledCli() {
  const current = readPointer();
  if (isFresh(current)) return pathToFileURL(join(dist, current.dir, 'main.js')).href;
  try {
    mkdirSync(dist, { recursive: true });
    return pathToFileURL(await buildBundle()).href;
  } catch {
    // No esbuild (an install without dev dependencies), a read-only install folder, or a source
    // that does not build: the sources run through tsx, which reports the latter precisely.
    return undefined;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = await buildBundle();
  process.stdout.write(`built ${relative(root, file)}\n`);
}

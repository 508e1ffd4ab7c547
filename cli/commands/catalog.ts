// catalog retire, catalog retired: catalog snapshot versions retired for new orders (§31.4, stale
// catalog snapshot). The work is in runtime/engine/catalog-retirement.ts; this file maps options
// and prints. Exit 0 done (or retired before: answered as the first), 1 refused input.
import type { Command } from 'commander';
import type { Writable } from 'node:stream';
import type { CommandContext } from '../main.js';

interface StoreFlags { db?: string; databaseUrl?: string; json?: boolean }

function storeFlags(command: Command): Command {
  return command
    .option('--db <dir>', 'PGlite data folder (default: in memory; ignored when a database URL is set)')
    .option('--database-url <url>', 'server PostgreSQL (default: the DATABASE_URL environment variable)')
    .option('--json', 'print JSON');
}

async function withStore<T>(flags: StoreFlags, work: (store: import('../../runtime/store/store.js').Store) => Promise<T>): Promise<T> {
  const { openStore } = await import('../../runtime/store/store.js');
  const { migrate } = await import('../../runtime/store/migrate.js');
  const databaseUrl = flags.databaseUrl ?? process.env.DATABASE_URL;
  const store = await openStore(databaseUrl ? { databaseUrl } : { dataDir: flags.db });
  try {
    await migrate(store);
    return await work(store);
  } finally {
    await store.close();
  }
}

const line = (out: Writable, text: string) => out.write(`${text}\n`);

export function registerCatalogCommands(program: Command, ctx: CommandContext): void {
  const catalog = program.command('catalog').description('catalog snapshot versions as the runtime uses them');
  storeFlags(
    catalog
      .command('retire')
      .description('retire a catalog snapshot version for new orders: plans compiled against it take no new order '
        + '(the intake rejects it, naming the snapshot); sagas already running on them finish')
      .argument('<catalog>', 'catalog id, e.g. telco-core')
      .argument('<version>', 'snapshot version, e.g. 2026.10')
      .option('--reason <text>', 'why (kept with the retirement, quoted in the rejections)')
      .option('--replaced-by <version>', 'the snapshot version plans are to be compiled against instead'),
  ).action(async (catalogId: string, version: string, opts: StoreFlags & { reason?: string; replacedBy?: string }) => {
    const { retireCatalog } = await import('../../runtime/engine/catalog-retirement.js');
    ctx.exitCode = await withStore(opts, async (store) => {
      const result = await retireCatalog(store, { catalogId, version, reason: opts.reason, replacedBy: opts.replacedBy }, new Date());
      if (opts.json) { line(ctx.stdout, JSON.stringify(result, null, 2)); return result.ok ? 0 : 1; }
      if (!result.ok) { line(ctx.stdout, `error: ${result.problem}`); return 1; }
      const r = result.retirement;
      line(ctx.stdout, `catalog ${r.catalogId} ${r.version}: ${result.duplicate ? 'retired before, on' : 'retired on'} ${r.retiredAt}`
        + `${r.reason ? ` (${r.reason})` : ''}${r.replacedBy ? `; replaced by ${r.replacedBy}` : ''}`);
      line(ctx.stdout, `  ${result.plans.length} registered plan${result.plans.length === 1 ? '' : 's'} compiled against it take no new order`
        + `${result.plans.length > 0 ? `: ${result.plans.map((p) => `${p.planId} version ${p.planVersion} (${p.hash.slice(0, 12)})`).join(', ')}` : ''}`);
      line(ctx.stdout, `  ${result.inFlightSagas} saga${result.inFlightSagas === 1 ? '' : 's'} in flight on them finish as they are`);
      return 0;
    });
  });
  storeFlags(catalog.command('retired').description('the catalog snapshot versions retired for new orders'))
    .action(async (opts: StoreFlags) => {
      const { catalogRetirements } = await import('../../runtime/engine/catalog-retirement.js');
      ctx.exitCode = await withStore(opts, async (store) => {
        const all = await catalogRetirements(store);
        if (opts.json) { line(ctx.stdout, JSON.stringify(all, null, 2)); return 0; }
        if (all.length === 0) { line(ctx.stdout, 'no catalog snapshot retired'); return 0; }
        for (const r of all) {
          line(ctx.stdout, `${r.catalogId} ${r.version}  retired on ${r.retiredAt}${r.reason ? `  (${r.reason})` : ''}${r.replacedBy ? `  replaced by ${r.replacedBy}` : ''}`);
        }
        return 0;
      });
    });
}

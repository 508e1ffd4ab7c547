// One bare open of o2a's embedded store, as the CLI does it (openStore), one query, close: the
// store code of the checkout given (`node --import tsx open.ts <root> memory|<data folder>`).
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';

const [root, where] = process.argv.slice(2);
if (!root || !where) throw new Error('usage: open.ts <root> memory|<data folder>');
const { openStore } = await import(pathToFileURL(join(root, 'runtime', 'store', 'store.ts')).href) as typeof import('../../runtime/store/store.js');
const store = await openStore(where === 'memory' ? {} : { dataDir: where });
await store.query('SELECT 1');
await store.close();

// PGlite with its defaults, as a bare `new PGlite()` plus one query: in memory, a new cluster
// made by its initdb each time (what issue #14 measured).
import { PGlite } from '@electric-sql/pglite';

const db = new PGlite();
await db.query('SELECT 1');
await db.close();

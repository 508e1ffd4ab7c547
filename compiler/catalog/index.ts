export { parseCatalog, loadCatalog, snapshotOf, CATALOG_FILE_NAME, type CatalogLoadResult } from './load.js';
export * from './schema.js';

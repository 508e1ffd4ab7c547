// `o2a lsp --stdio` without the CLI around it: `node --import tsx lsp/main.ts --stdio`.
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLanguageServer } from './server.js';

export function runStdioServer(): void {
  // Anything written to stdout would corrupt the protocol stream: send stray logs to stderr.
  console.log = (...args: unknown[]) => console.error(...args);
  const connection = createConnection(ProposedFeatures.all, process.stdin, process.stdout);
  startLanguageServer(connection);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runStdioServer();
}

// The o2a language server: wires the protocol to the feature modules (one per feature, each a thin
// layer over the compiler's APIs). Every request is guarded: a bug or a broken input gives an empty
// answer and a line in the client's log, never a dead server.
import {
  CodeActionKind, DidChangeWatchedFilesNotification, FileChangeType, ResponseError, TextDocumentSyncKind, TextDocuments,
  type Connection, type InitializeParams, type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { fileURLToPath } from 'node:url';
import { codeActions, fixAllKind } from './code-actions.js';
import { completion } from './completion.js';
import { defaultSettings, type ServerContext, type ServerSettings } from './context.js';
import { definition } from './definition.js';
import { DiagnosticsPublisher } from './diagnostics.js';
import { foldingRanges } from './folding.js';
import { formatDocument, formatRange } from './formatting.js';
import { hover } from './hover.js';
import { inlayHints } from './inlay-hints.js';
import { references } from './references.js';
import { prepareRename, rename } from './rename.js';
import { semanticTokens, semanticTokensLegend } from './semantic-tokens.js';
import { stats, statsRequest } from './stats.js';
import { documentSymbols, workspaceSymbols } from './symbols.js';
import { Workspace } from './workspace.js';

function settingsFrom(options: unknown): ServerSettings {
  const settings = { ...defaultSettings };
  if (typeof options === 'object' && options !== null) {
    const o = options as Record<string, unknown>;
    if (typeof o.diagnosticsDelayMs === 'number' && o.diagnosticsDelayMs >= 0) settings.diagnosticsDelayMs = o.diagnosticsDelayMs;
    if (typeof o.inlayHints === 'boolean') settings.inlayHints = o.inlayHints;
    if (typeof o.catalog === 'string' || o.catalog === null) settings.catalog = o.catalog;
  }
  return settings;
}

function rootOf(params: InitializeParams): string | undefined {
  const uri = params.workspaceFolders?.[0]?.uri ?? params.rootUri ?? undefined;
  if (uri !== undefined && uri !== null && uri.startsWith('file:')) return fileURLToPath(uri);
  return params.rootPath ?? undefined;
}

export function startLanguageServer(connection: Connection): void {
  const documents = new TextDocuments(TextDocument);
  let ctx: ServerContext | undefined;
  let publisher: DiagnosticsPublisher | undefined;
  let dynamicWatch = false;

  const describe = (error: unknown) => (error instanceof Error ? (error.stack ?? error.message) : String(error));
  const failed = (name: string, error: unknown) => {
    // A refused rename carries its reason to the user; anything else is a bug to log.
    if (error instanceof ResponseError) throw error;
    connection.console.error(`o2a: ${name} failed: ${describe(error)}`);
  };
  function guard<P, R>(name: string, handler: (ctx: ServerContext, params: P) => R | Promise<R>, fallback: R): (params: P) => R | Promise<R> {
    return (params: P) => {
      if (ctx === undefined) return fallback;
      try {
        const result = handler(ctx, params);
        if (result instanceof Promise) {
          return result.catch((error: unknown) => {
            failed(name, error);
            return fallback;
          });
        }
        return result;
      } catch (error) {
        failed(name, error);
        return fallback;
      }
    };
  }

  connection.onInitialize((params): InitializeResult => {
    const root = rootOf(params);
    // Files are named relative to the root, as `o2a check` run from the root names them.
    if (root !== undefined) {
      try {
        process.chdir(root);
      } catch {
        // An unreachable root: names stay absolute.
      }
    }
    ctx = { connection, workspace: new Workspace(root), settings: settingsFrom(params.initializationOptions) };
    ctx.workspace.catalogOverride = ctx.settings.catalog;
    publisher = new DiagnosticsPublisher(ctx);
    dynamicWatch = params.capabilities.workspace?.didChangeWatchedFiles?.dynamicRegistration === true;
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        completionProvider: { triggerCharacters: ['.', ':', ' ', ',', '"', '['], resolveProvider: false },
        hoverProvider: true,
        definitionProvider: true,
        referencesProvider: true,
        renameProvider: { prepareProvider: true },
        documentSymbolProvider: true,
        workspaceSymbolProvider: true,
        foldingRangeProvider: true,
        semanticTokensProvider: { legend: semanticTokensLegend, full: true },
        documentFormattingProvider: true,
        documentRangeFormattingProvider: true,
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, fixAllKind] },
        inlayHintProvider: true,
      },
      serverInfo: { name: 'o2a', version: '0.1.0' },
    };
  });

  connection.onInitialized(() => {
    if (dynamicWatch) {
      void connection.client.register(DidChangeWatchedFilesNotification.type, {
        watchers: [{ globPattern: '**/*.o2a' }, { globPattern: '**/catalogs/**/*.json' }],
      });
    }
  });

  // Fired on open too: the first check of a document goes through the same debounce.
  documents.onDidChangeContent((e) => {
    if (ctx === undefined) return;
    const file = ctx.workspace.openDocument(e.document);
    publisher?.changed(file);
  });
  documents.onDidClose((e) => {
    if (ctx === undefined) return;
    const file = ctx.workspace.closeDocument(e.document.uri);
    publisher?.closed(file);
  });

  connection.onDidChangeWatchedFiles((params) => {
    if (ctx === undefined) return;
    for (const change of params.changes) {
      ctx.workspace.fileChanged(change.uri);
      if (change.type === FileChangeType.Deleted) ctx.workspace.fileChanged(change.uri);
    }
    publisher?.recheckAll();
  });

  connection.onDidChangeConfiguration((params) => {
    if (ctx === undefined) return;
    const settings = (params.settings as { o2a?: unknown } | null)?.o2a;
    if (settings === undefined) return;
    ctx.settings = settingsFrom({ ...ctx.settings, ...(settings as object) });
    ctx.workspace.catalogOverride = ctx.settings.catalog;
    publisher?.recheckAll();
  });

  connection.onCompletion(guard('completion', completion, { isIncomplete: false, items: [] }));
  connection.onHover(guard('hover', hover, null));
  connection.onDefinition(guard('definition', definition, null));
  connection.onReferences(guard('references', references, []));
  connection.onPrepareRename(guard('prepareRename', prepareRename, null));
  connection.onRenameRequest(guard('rename', rename, null));
  connection.onDocumentSymbol(guard('documentSymbol', documentSymbols, []));
  connection.onWorkspaceSymbol(guard('workspaceSymbol', workspaceSymbols, []));
  connection.onFoldingRanges(guard('foldingRange', foldingRanges, []));
  connection.languages.semanticTokens.on(guard('semanticTokens', semanticTokens, { data: [] }));
  connection.onDocumentFormatting(guard('formatting', formatDocument, []));
  connection.onDocumentRangeFormatting(guard('rangeFormatting', formatRange, []));
  connection.onCodeAction(guard('codeAction', codeActions, []));
  connection.languages.inlayHint.on(guard('inlayHint', inlayHints, []));
  connection.onRequest(statsRequest, guard('stats', stats, { rssBytes: 0, heapUsedBytes: 0, heapTotalBytes: 0, externalBytes: 0, heapSpaces: {}, openDocuments: 0, reparses: { step: 0, gap: 0, whole: 0 }, planChecks: { checked: 0, reused: 0 }, publish: { sinceEditMs: [], checkMs: [], checkCpuMs: [] } }));

  documents.listen(connection);
  connection.listen();
}

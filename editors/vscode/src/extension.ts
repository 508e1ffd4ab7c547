// The VS Code client: starts `o2a lsp --stdio` and hands .o2a documents to it.
import * as path from 'node:path';
import { workspace, window, type ExtensionContext } from 'vscode';
import { LanguageClient, type Executable, type LanguageClientOptions } from 'vscode-languageclient/node';

let client: LanguageClient | undefined;

function serverExecutable(): Executable {
  const config = workspace.getConfiguration('o2a');
  const configured = config.get<string>('server.path', 'o2a');
  const args = config.get<string[]>('server.args', ['lsp', '--stdio']);
  const folder = workspace.workspaceFolders?.[0]?.uri.fsPath;
  // A bare command name is looked up on PATH; a path with a separator is relative to the workspace.
  const isBare = !configured.includes('/') && !configured.includes('\\');
  const command = isBare || path.isAbsolute(configured) || folder === undefined ? configured : path.join(folder, configured);
  const options = folder !== undefined ? { cwd: folder } : {};
  // `bin/o2a.js` is a Node script: run it with the node on PATH, so Windows needs no shebang support.
  if (command.endsWith('.js')) return { command: 'node', args: [command, ...args], options };
  return { command, args, options };
}

export async function activate(context: ExtensionContext): Promise<void> {
  const config = workspace.getConfiguration('o2a');
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: 'file', language: 'o2a' }, { scheme: 'untitled', language: 'o2a' }],
    synchronize: {
      fileEvents: [workspace.createFileSystemWatcher('**/*.o2a'), workspace.createFileSystemWatcher('**/catalogs/**/*.json')],
    },
    initializationOptions: {
      diagnosticsDelayMs: config.get<number>('diagnostics.delayMs', 150),
      inlayHints: config.get<boolean>('inlayHints.enabled', true),
    },
    outputChannelName: 'o2a language server',
  };
  client = new LanguageClient('o2a', 'o2a language server', serverExecutable(), clientOptions);
  context.subscriptions.push(
    workspace.onDidChangeConfiguration(async (event) => {
      if (!event.affectsConfiguration('o2a.server') || client === undefined) return;
      const choice = await window.showInformationMessage('The o2a server settings changed.', 'Restart the server');
      if (choice !== undefined) {
        await client.stop();
        client = new LanguageClient('o2a', 'o2a language server', serverExecutable(), clientOptions);
        await client.start();
      }
    }),
  );
  try {
    await client.start();
  } catch (error) {
    void window.showErrorMessage(
      `Could not start the o2a language server (${serverExecutable().command}): ${error instanceof Error ? error.message : String(error)}. Set "o2a.server.path".`,
    );
  }
}

export async function deactivate(): Promise<void> {
  if (client !== undefined) await client.stop();
}

// What every feature handler gets: the workspace, the connection's console, the settings.
import type { Connection } from 'vscode-languageserver/node';
import type { Workspace } from './workspace.js';

export interface ServerSettings {
  /** Quiet time after an edit before the unit is checked again; the first edit after a pause is checked at once. */
  diagnosticsDelayMs: number;
  inlayHints: boolean;
  /**
   * The catalog snapshot (directory or catalog.json, relative to the workspace root), as
   * `o2a check --catalog` takes it; `null`: check without a snapshot; unset: `catalogs/<version>`
   * from the files' `catalog` line.
   */
  catalog?: string | null;
}

export const defaultSettings: ServerSettings = { diagnosticsDelayMs: 150, inlayHints: true };

export interface ServerContext {
  connection: Connection;
  workspace: Workspace;
  settings: ServerSettings;
}

// Where a plan change points in the sources, for annotations: the `plan`/`bundle` line of the
// plan, or the `step` line inside it. Found by reading the current sources, else the previous.

export interface SourceLocation {
  file: string;
  /** 1-based. */
  line: number;
}

export type ChangeLocator = (planId: string, stepId: string | null) => SourceLocation | undefined;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A locator over source texts (file -> text), searched in order. */
export function locatorFromSources(...sideSources: readonly ReadonlyMap<string, string>[]): ChangeLocator {
  return (planId, stepId) => {
    for (const sources of sideSources) {
      for (const [file, text] of sources) {
        const lines = text.split(/\r?\n/);
        const declaration = new RegExp(`^\\s*(plan|bundle)\\s+${escapeRegExp(planId)}\\b`);
        const start = lines.findIndex((l) => declaration.test(l));
        if (start < 0) continue;
        if (stepId !== null) {
          const step = new RegExp(`^\\s*(step|item)\\s+${escapeRegExp(stepId)}\\b`);
          for (let i = start + 1; i < lines.length && !/^\s*(plan|bundle|template)\s/.test(lines[i]!); i++) {
            if (step.test(lines[i]!)) return { file, line: i + 1 };
          }
        }
        return { file, line: start + 1 };
      }
    }
    return undefined;
  };
}

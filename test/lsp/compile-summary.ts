// What the language server shows and uses of a compile, for comparing an incremental one with a
// full one (test/lsp/incremental.test.ts, test/lsp/typing.test.ts).
import type { CompileResult } from '../../compiler/index.js';

/** What the language server shows and uses of a compile: diagnostics, and the bound model. */
export function summary(c: CompileResult) {
  return {
    diagnostics: c.diagnostics,
    references: c.model.references,
    definitions: c.model.definitions,
    plans: [...c.model.plans.values()].map((p) => ({
      name: p.name,
      file: p.file,
      offering: p.offering?.id,
      steps: p.steps.map((st) => ({
        name: st.name, index: st.index, kind: st.kind?.id, kindName: st.kindName, template: st.template?.name, dependsOn: st.dependsOn,
        catalogRef: st.catalogRef, catalogRefResolved: st.catalogRefResolved, evidence: st.evidence, outcomes: st.outcomes, rule: st.rule,
        policies: st.policies, retryProperty: st.retryProperty, onTimeoutProperty: st.onTimeoutProperty, decl: st.decl,
      })),
    })),
    templates: [...c.model.templates.values()].map((t) => ({ name: t.name, file: t.file, kind: t.kind?.id, decl: t.decl })),
  };
}

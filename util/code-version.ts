/**
 * Which code produced a result, in the short form checkpoints and reproduce runs store: the package
 * version and, in fre's own git checkout, the commit and whether tracked files differed from it.
 * The one source of those facts is util/provenance.ts.
 */
import { provenance } from './provenance';

export interface CodeVersion {
  /** package.json "version". */
  version: string;
  /** HEAD of the checkout (absent outside git, e.g. an installed package). */
  commit?: string;
  /** True when tracked files were modified relative to `commit`. */
  dirty?: boolean;
}

export function codeVersion(): CodeVersion {
  const p = provenance('');
  return {
    version: p.version,
    ...(p.commit !== 'unknown' ? { commit: p.commit } : {}),
    ...(p.dirty !== undefined ? { dirty: p.dirty } : {}),
  };
}

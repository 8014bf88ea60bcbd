/** Types of check-layout.mjs, for test/scripts/check-layout.test.ts. */
export declare const ROOT: string
export declare const CHECKS: readonly ['cycles', 'dir-cycles', 'lib-plugins', 'plugin-size']
export declare const PLUGIN_MAX_LINES: number
export type CheckName = typeof CHECKS[number]
/** file -> the project files it imports, paths relative to `root`. */
export declare function importGraph (root: string): Map<string, string[]>
export declare function directoryGraph (graph: Map<string, string[]>): Map<string, string[]>
export declare function findCycles (graph: Map<string, string[]>): Array<{ circle: string[], members: string[] }>
/** Printable findings per check (empty: the check holds). */
export declare function checkLayout (root?: string): Record<CheckName, string[]>

/** Types of gen-libinjection.mjs, for the test that compares its output with the committed table. */
export declare const DEFAULT_CORPUS: string
export declare const OUTPUT: string
export declare const CHAR_CLASSES: readonly string[]
/** The text of lib/rules/libinjection/data.ts generated from the corpus directory `dir`. */
export declare function render (dir: string): string

/** Operators that take no argument (ModSecurity ignores one; here it is an error, so a typo is not silently dropped). */
export const NO_ARGUMENT_OPERATORS: ReadonlySet<string> = new Set(['unconditionalmatch', 'detectsqli', 'detectxss'])

export function noArgument (name: string, argument: string): void {
  if (argument.trim().length > 0) throw new Error(`${name} takes no argument (got ${JSON.stringify(argument.slice(0, 40))})`)
}

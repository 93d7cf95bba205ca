/**
 * Options every command's implementation receives; parsed, never raw argv.
 * In its own module so that commands/* need not import main.ts, which loads them.
 */
export type CommandOptions = Record<string, unknown>;

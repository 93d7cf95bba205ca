import { parseArgs, type ParseArgsConfig } from 'node:util';
import { COMMANDS, GROUPS, PROGRAM_DESCRIPTION, type CommandOptions, type CommandSpec, type OptionSpec } from './commands-spec.js';
import { CliError } from './errors.js';

/** What the command line asks for: run a command, or print help or the version. */
export type Parsed =
  | { kind: 'run'; command: CommandSpec; args: string[]; opts: CommandOptions }
  | { kind: 'help'; text: string }
  | { kind: 'version' };

const camel = (long: string) => long.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

function usageError(message: string): CliError {
  return new CliError('E_USAGE', message, "Use '--help' for usage.");
}

function findCommand(group: string, name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.path[0] === group && (c.path[1] === name || c.aliases?.includes(name)));
}

/**
 * Parses argv (without node and the script). Throws CliError E_USAGE with a
 * message naming the problem; the caller prints it in the contract's form.
 */
export function parseCommandLine(argv: readonly string[]): Parsed {
  const [group, sub, ...rest] = argv;
  if (group === undefined) return { kind: 'help', text: programHelp() };
  if (group === '-V' || group === '--version') return { kind: 'version' };
  if (group === '-h' || group === '--help' || group === 'help') {
    if (group === 'help' && sub) return helpFor([sub, ...rest]);
    return { kind: 'help', text: programHelp() };
  }
  if (group.startsWith('-')) throw usageError(`unknown option '${group}'`);
  const groupSpec = GROUPS.find((g) => g.name === group);
  if (!groupSpec) throw usageError(`unknown command '${group}'`);
  if (sub === undefined || sub === '-h' || sub === '--help') return { kind: 'help', text: groupHelp(group) };
  if (sub === 'help') return rest[0] ? helpFor([group, ...rest]) : { kind: 'help', text: groupHelp(group) };
  const command = findCommand(group, sub);
  if (!command) {
    if (sub.startsWith('-')) throw usageError(`unknown option '${sub}'`);
    throw usageError(`unknown command '${group} ${sub}'`);
  }
  return parseCommand(command, rest);
}

function helpFor(words: string[]): Parsed {
  const [group, sub] = words;
  if (!GROUPS.some((g) => g.name === group)) throw usageError(`unknown command '${group}'`);
  if (!sub) return { kind: 'help', text: groupHelp(group as string) };
  const command = findCommand(group as string, sub);
  if (!command) throw usageError(`unknown command '${group} ${sub}'`);
  return { kind: 'help', text: commandHelp(command) };
}

function parseCommand(command: CommandSpec, argv: string[]): Parsed {
  const options: NonNullable<ParseArgsConfig['options']> = { help: { type: 'boolean', short: 'h' } };
  for (const o of allOptions(command)) options[o.long] = { type: o.value ? 'string' : 'boolean', ...(o.short ? { short: o.short } : {}) };
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw usageError(parseArgsMessage(err));
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help', text: commandHelp(command) };
  const opts: CommandOptions = {};
  for (const o of allOptions(command)) {
    const v = values[o.long];
    if (v === undefined) {
      if (o.required) throw usageError(`required option '--${o.long} ${o.value ?? ''}'`.trimEnd() + ' not specified');
      if (o.default !== undefined) opts[camel(o.long)] = o.default;
      continue;
    }
    if (o.choices && typeof v === 'string' && !o.choices.includes(v)) {
      throw usageError(`option '--${o.long} ${o.value}' argument '${v}' is invalid. Allowed choices are ${o.choices.join(', ')}.`);
    }
    opts[camel(o.long)] = v;
  }
  if (command.args?.required && positionals.length === 0) throw usageError(`missing required argument '${command.args.name}'`);
  if (!command.args && positionals.length > 0) {
    throw usageError(`too many arguments for '${command.path[1]}'. Expected 0 arguments but got ${positionals.length}.`);
  }
  return { kind: 'run', command, args: positionals, opts };
}

/** Every command also takes -q/--quiet (no progress lines, even on a terminal). */
const QUIET: OptionSpec = { long: 'quiet', short: 'q', description: 'no progress lines, even on a terminal' };
function allOptions(c: CommandSpec): readonly OptionSpec[] {
  return [...c.options, QUIET];
}

/** parseArgs' messages name Node's own remedies ("To specify a positional argument..."); keep the first sentence. */
function parseArgsMessage(err: unknown): string {
  const e = err as { code?: string; message?: string };
  const msg = (e.message ?? String(err)).split('. ')[0] ?? '';
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const m = /'([^']+)'/.exec(msg);
    return `unknown option '${m?.[1] ?? msg}'`;
  }
  return msg.replace(/^Option '([^']+)'/, "option '$1'");
}

// ---------------------------------------------------------------------------
// Help texts, in commander's layout (the CLI used it before).

function table(rows: [string, string][]): string {
  const width = Math.max(...rows.map(([l]) => l.length));
  return rows.map(([l, r]) => `  ${l.padEnd(width)}  ${r}`).join('\n');
}

function optionLabel(o: OptionSpec): string {
  return `${o.short ? `-${o.short}, ` : ''}--${o.long}${o.value ? ` ${o.value}` : ''}`;
}

function optionText(o: OptionSpec): string {
  const extra: string[] = [];
  if (o.choices) extra.push(`choices: ${o.choices.map((c) => `"${c}"`).join(', ')}`);
  if (o.default !== undefined) extra.push(`default: "${o.default}"`);
  return extra.length ? `${o.description} (${extra.join(', ')})` : o.description;
}

function programHelp(): string {
  return [
    'Usage: swamp-store [options] [command]',
    '',
    PROGRAM_DESCRIPTION,
    '',
    'Options:',
    table([
      ['-V, --version', 'output the version number'],
      ['-h, --help', 'display help for command'],
    ]),
    '',
    'Commands:',
    table([...GROUPS.map((g): [string, string] => [g.name, g.description]), ['help [command]', 'display help for command']]),
    '',
  ].join('\n');
}

function groupHelp(group: string): string {
  const spec = GROUPS.find((g) => g.name === group);
  const rows = COMMANDS.filter((c) => c.path[0] === group).map((c): [string, string] => {
    const name = [c.path[1], ...(c.aliases ?? [])].join('|');
    const args = c.args ? (c.args.required ? ` <${c.args.name}...>` : ` [${c.args.name}...]`) : '';
    return [`${name} [options]${args}`, c.description];
  });
  return [
    `Usage: swamp-store ${group} [options] [command]`,
    '',
    spec?.description ?? '',
    '',
    'Options:',
    table([['-h, --help', 'display help for command']]),
    '',
    'Commands:',
    table([...rows, ['help [command]', 'display help for command']]),
    '',
  ].join('\n');
}

function commandHelp(c: CommandSpec): string {
  const args = c.args ? (c.args.required ? ` <${c.args.name}...>` : ` [${c.args.name}...]`) : '';
  const lines = [`Usage: swamp-store ${c.path.join(' ')}${c.aliases?.length ? `|${c.aliases.join('|')}` : ''} [options]${args}`, '', c.description, ''];
  if (c.args) lines.push('Arguments:', table([[c.args.name, c.args.description]]), '');
  lines.push('Options:', table([...allOptions(c).map((o): [string, string] => [optionLabel(o), optionText(o)]), ['-h, --help', 'display help for command']]), '');
  return lines.join('\n');
}

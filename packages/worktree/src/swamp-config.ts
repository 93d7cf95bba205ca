import { parse as parseYaml } from 'yaml';
import { configError, type SwampConfig } from './config-rules.js';

/** Caps alias expansion so a "billion laughs" document cannot exhaust memory. */
const MAX_YAML_ALIASES = 100;

/** Parses `.swamp.yaml` text; `file` only names it in messages. */
export function parseSwampConfig(text: string, file: string): SwampConfig {
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: MAX_YAML_ALIASES, uniqueKeys: true });
  } catch (err) {
    throw configError(file, `is not valid YAML (${(err as Error).message.split('\n')[0]})`, err);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw configError(file, 'is not a YAML mapping');
  const obj = doc as Record<string, unknown>;
  const config: SwampConfig = {};

  if (obj.modelsDir !== undefined && obj.modelsDir !== null) {
    if (typeof obj.modelsDir !== 'string') throw configError(file, "has a 'modelsDir' that is not a string");
    config.modelsDir = obj.modelsDir;
  }

  if (Object.hasOwn(obj, 'tools')) {
    const t = obj.tools;
    if (t === null) config.tools = null;
    else if (typeof t === 'string') config.tools = [t];
    else if (Array.isArray(t)) config.tools = t.filter((x): x is string => typeof x === 'string');
    else throw configError(file, "has a 'tools' value that is neither a list nor a name");
  }
  return config;
}


/**
 * Swamp's rule for extension names (docs/swamp-compatibility.md): `@scope/name`,
 * nested segments allowed, lower-case letters, digits, `_` and `-`. The source
 * is exported for patterns that embed a name, such as `@scope/name@version`.
 */
export const EXTENSION_NAME_SOURCE = '@[a-z0-9_-]+\\/[a-z0-9_-]+(?:\\/[a-z0-9_-]+)*';
export const EXTENSION_NAME_RE = new RegExp(`^${EXTENSION_NAME_SOURCE}$`);

export function isExtensionName(value: unknown): value is string {
  return typeof value === 'string' && EXTENSION_NAME_RE.test(value);
}

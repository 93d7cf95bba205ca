import type * as CacacheModule from 'cacache';
import type * as SsriModule from 'ssri';

/**
 * Heavy dependencies load on first use, not at start-up: a warm or no-op pull
 * never touches cacache or ssri, and every CLI process would otherwise pay
 * tens of milliseconds to load them. Dynamic import() (not createRequire) so
 * the CLI bundler can split them into chunks of their own.
 */
let cacache: Promise<typeof CacacheModule> | undefined;
let ssri: Promise<typeof SsriModule> | undefined;

export function lazyCacache(): Promise<typeof CacacheModule> {
  return (cacache ??= import('cacache').then((m) => (m as unknown as { default?: typeof CacacheModule }).default ?? (m as unknown as typeof CacacheModule)));
}

export function lazySsri(): Promise<typeof SsriModule> {
  return (ssri ??= import('ssri').then((m) => (m as unknown as { default?: typeof SsriModule }).default ?? (m as unknown as typeof SsriModule)));
}

/** One `WWW-Authenticate` challenge: `Basic realm="..."` or `Bearer realm="...",service="...",scope="..."`. */
export interface Challenge {
  scheme: 'basic' | 'bearer';
  params: Record<string, string>;
}

/** The first Basic or Bearer challenge in the header; other schemes are ignored. */
export function parseChallenge(header: string | string[] | undefined): Challenge | undefined {
  for (const value of Array.isArray(header) ? header : header ? [header] : []) {
    const m = /^\s*(basic|bearer)\b\s*(.*)$/i.exec(value);
    if (!m) continue;
    const params: Record<string, string> = {};
    const re = /([a-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/gi;
    for (let p = re.exec(m[2] as string); p; p = re.exec(m[2] as string)) {
      params[(p[1] as string).toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : (p[3] ?? '');
    }
    return { scheme: (m[1] as string).toLowerCase() as Challenge['scheme'], params };
  }
  return undefined;
}

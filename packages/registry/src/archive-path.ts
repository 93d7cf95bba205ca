import fs from 'node:fs/promises';
import path from 'node:path';
import { RegistryError } from './errors.js';

/**
 * A ref that is neither a name nor a URL is taken as a path (docs/CLI.md). Before
 * anything opens it, say plainly what is wrong with it: a bare word such as
 * `myorg-alpha` was most likely meant as a name, a folder is not an archive.
 */
export async function checkArchivePath(ref: string, abs: string): Promise<void> {
  let st;
  try {
    st = await fs.stat(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') {
      throw new RegistryError('E_NOT_FOUND', `Archive ${ref} cannot be read (permission denied).`, 'Check the file\'s permissions, or pull the extension by name.', { cause: err });
    }
    if (looksLikeBareWord(ref)) {
      const guess = /^([a-z0-9_]+)[-_/]([a-z0-9_-]+)$/i.exec(ref);
      const hint = guess ? ` (did you mean '@${guess[1]}/${guess[2]}'?)` : '';
      throw new RegistryError(
        'E_NOT_FOUND',
        `'${ref}' is not an extension name, an existing archive file or a URL.`,
        `Names look like '@scope/name'${hint}; a path must name an existing .tar.gz file; a URL starts with https://.`,
        { cause: err },
      );
    }
    throw new RegistryError('E_NOT_FOUND', `Archive ${ref} does not exist (${abs}).`, 'Check the path, or pull the extension by name (@scope/name).', { cause: err });
  }
  if (st.isDirectory()) {
    throw new RegistryError('E_USAGE', `${ref} is a folder, not an extension archive.`, 'Name the extension\'s .tar.gz file, or pull it by name (@scope/name).');
  }
  if (!st.isFile()) throw new RegistryError('E_USAGE', `${ref} is not a regular file.`, 'Name the extension\'s .tar.gz file.');
}

/** No folder part and no archive extension: a word, not something a user would type as a path. */
function looksLikeBareWord(ref: string): boolean {
  return !ref.includes('/') && !ref.includes(path.sep) && !/\.(tar\.gz|tgz|tar)$/i.test(ref);
}
